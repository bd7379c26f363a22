#include "cli/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "orderline/v1/envelope.pb.h"

#include <array>
#include <charconv>
#include <cmath>
#include <unordered_map>

namespace orderline::cli {
namespace {

namespace pb = google::protobuf;

// True when every field of the message type, recursively, is one this printer maps itself.
bool covered(const pb::Descriptor* type, std::unordered_map<const pb::Descriptor*, bool>& seen) {
  if (auto it = seen.find(type); it != seen.end()) return it->second;
  seen[type] = true;  // recursion guard: a cycle is judged by its other fields
  bool ok = type->file()->package() != "google.protobuf";  // well-known types map specially
  for (int i = 0; ok && i < type->field_count(); ++i) {
    const auto* field = type->field(i);
    if (field->is_map()) ok = false;
    else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) ok = covered(field->message_type(), seen);
  }
  seen[type] = ok;
  return ok;
}

bool is_covered(const pb::Descriptor* type) {
  // Per thread: asked twice per exported event, it must not take a lock.
  thread_local std::unordered_map<const pb::Descriptor*, bool> cache;
  return covered(type, cache);
}

// Bytes a JSON string cannot hold as they are: control characters, quote, backslash, DEL.
constexpr auto kEscape = [] {
  std::array<bool, 256> table{};
  for (int u = 0; u < 0x20; ++u) table[u] = true;
  table['"'] = table['\\'] = table[0x7f] = true;
  return table;
}();

void append_string(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (!kEscape[u]) continue;
    out.append(text.data() + run, i - run);  // copied in bulk: most text has nothing to escape
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

void append_base64(const std::string& bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                            std::uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  out += '"';
}

template <typename T>
void append_number(T value, std::string& out, bool quoted) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  if (quoted) out += '"';
  out.append(text, result.ptr);
  if (quoted) out += '"';
}

template <typename T>
void append_floating(T value, std::string& out) {
  if (std::isnan(value)) out += "\"NaN\"";
  else if (std::isinf(value)) out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  else append_number(value, out, false);
}

void append_message(const pb::Message& message, std::string& out, std::size_t depth);

void append_value(const pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor& f, int index,
                  std::string& out, std::size_t depth) {
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return append_number(rep ? r.GetRepeatedInt32(m, &f, index) : r.GetInt32(m, &f), out, false);
    case pb::FieldDescriptor::CPPTYPE_UINT32: return append_number(rep ? r.GetRepeatedUInt32(m, &f, index) : r.GetUInt32(m, &f), out, false);
    case pb::FieldDescriptor::CPPTYPE_INT64: return append_number(rep ? r.GetRepeatedInt64(m, &f, index) : r.GetInt64(m, &f), out, true);
    case pb::FieldDescriptor::CPPTYPE_UINT64: return append_number(rep ? r.GetRepeatedUInt64(m, &f, index) : r.GetUInt64(m, &f), out, true);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return append_floating(rep ? r.GetRepeatedDouble(m, &f, index) : r.GetDouble(m, &f), out);
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return append_floating(rep ? r.GetRepeatedFloat(m, &f, index) : r.GetFloat(m, &f), out);
    case pb::FieldDescriptor::CPPTYPE_BOOL: out += (rep ? r.GetRepeatedBool(m, &f, index) : r.GetBool(m, &f)) ? "true" : "false"; return;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const int number = rep ? r.GetRepeatedEnumValue(m, &f, index) : r.GetEnumValue(m, &f);
      const auto* value = f.enum_type()->FindValueByNumber(number);
      if (value != nullptr) append_string(value->name(), out);
      else append_number(number, out, false);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = rep ? r.GetRepeatedStringReference(m, &f, index, &scratch) : r.GetStringReference(m, &f, &scratch);
      if (f.type() == pb::FieldDescriptor::TYPE_BYTES) append_base64(text, out);
      else append_string(text, out);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return append_message(rep ? r.GetRepeatedMessage(m, &f, index) : r.GetMessage(m, &f), out, depth + 1);
  }
}

void append_message(const pb::Message& message, std::string& out) { append_message(message, out, 0); }

// `"name":` of every field of a message type, by field index, made once per type and thread:
// field names are printed for every field of every event.
const std::vector<std::string>& field_keys(const pb::Descriptor* type) {
  thread_local std::unordered_map<const pb::Descriptor*, std::vector<std::string>> keys;
  auto [it, added] = keys.try_emplace(type);
  if (added) {
    for (int i = 0; i < type->field_count(); ++i) {
      append_string(type->field(i)->name(), it->second.emplace_back());
      it->second.back() += ':';
    }
  }
  return it->second;
}

void append_message(const pb::Message& message, std::string& out, std::size_t depth) {
  const auto* reflection = message.GetReflection();
  const auto& keys = field_keys(message.GetDescriptor());
  // One field list per nesting depth, reused from message to message: no allocation per message.
  thread_local std::vector<std::vector<const pb::FieldDescriptor*>> lists;
  if (lists.size() <= depth) lists.resize(depth + 1);
  auto fields = std::move(lists[depth]);
  reflection->ListFields(message, &fields);  // set fields only, by number: what the mapping prints
  out += '{';
  bool first = true;
  for (const auto* field : fields) {
    if (!first) out += ',';
    first = false;
    if (field->is_extension()) {
      append_string(field->name(), out);
      out += ':';
    } else {
      out += keys[static_cast<std::size_t>(field->index())];
    }
    if (field->is_repeated()) {
      out += '[';
      const int size = reflection->FieldSize(message, field);
      for (int i = 0; i < size; ++i) {
        if (i) out += ',';
        append_value(message, *reflection, *field, i, out, depth);
      }
      out += ']';
    } else {
      append_value(message, *reflection, *field, -1, out, depth);
    }
  }
  out += '}';
  lists[depth] = std::move(fields);
}

}  // namespace

void append_proto_json(const google::protobuf::Message& message, std::string& out) {
  if (is_covered(message.GetDescriptor())) return append_message(message, out);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) json = "null";
  out += json;
}

namespace {

// Whether EventEnvelope is still the message append_envelope_json was written for: the same
// fields, numbers, types and no field presence. Else the reflection printer takes over.
bool envelope_is_known() {
  static const bool known = [] {
    using F = pb::FieldDescriptor;
    static constexpr std::pair<const char*, F::CppType> kFields[] = {
        {"event_id", F::CPPTYPE_STRING},     {"stream_id", F::CPPTYPE_STRING},
        {"stream_version", F::CPPTYPE_UINT64}, {"type", F::CPPTYPE_STRING},
        {"schema_version", F::CPPTYPE_UINT32}, {"occurred_at_us", F::CPPTYPE_INT64},
        {"correlation_id", F::CPPTYPE_STRING}, {"causation_id", F::CPPTYPE_STRING},
        {"command_id", F::CPPTYPE_STRING},   {"actor", F::CPPTYPE_STRING},
        {"payload", F::CPPTYPE_STRING}};
    const auto* type = v1::EventEnvelope::descriptor();
    if (type->field_count() != static_cast<int>(std::size(kFields))) return false;
    for (int i = 0; i < type->field_count(); ++i) {
      const auto* field = type->field(i);
      if (field->number() != i + 1 || field->name() != kFields[i].first || field->cpp_type() != kFields[i].second ||
          field->is_repeated() || field->has_presence()) {
        return false;
      }
    }
    return true;
  }();
  return known;
}

}  // namespace

void append_envelope_json(const v1::EventEnvelope& e, std::string& out) {
  if (!envelope_is_known()) return append_proto_json(e, out);
  // Field-number order, and only fields that differ from their default: what ListFields gives
  // the reflection printer for proto3 fields without presence.
  bool first = true;
  auto key = [&](std::string_view name) {
    out += first ? "{" : ",";
    first = false;
    out += name;
  };
  auto text = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    key(name);
    append_string(value, out);
  };
  text(R"("event_id":)", e.event_id());
  text(R"("stream_id":)", e.stream_id());
  if (e.stream_version() != 0) {
    key(R"("stream_version":)");
    append_number(e.stream_version(), out, true);  // 64-bit integers are strings in the mapping
  }
  text(R"("type":)", e.type());
  if (e.schema_version() != 0) {
    key(R"("schema_version":)");
    append_number(e.schema_version(), out, false);
  }
  if (e.occurred_at_us() != 0) {
    key(R"("occurred_at_us":)");
    append_number(e.occurred_at_us(), out, true);
  }
  text(R"("correlation_id":)", e.correlation_id());
  text(R"("causation_id":)", e.causation_id());
  text(R"("command_id":)", e.command_id());
  text(R"("actor":)", e.actor());
  if (!e.payload().empty()) {
    key(R"("payload":)");
    append_base64(e.payload(), out);
  }
  out += first ? "{}" : "}";
}

}  // namespace orderline::cli
