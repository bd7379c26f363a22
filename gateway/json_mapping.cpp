#include "gateway/json_mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <ctime>
#include <limits>

#include "orderline/v1/events.pb.h"

namespace orderline::gateway {
namespace json = boost::json;
namespace pb = google::protobuf;

std::string rfc3339_utc(std::int64_t micros) {
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(fraction));
  return std::string(text, n) + frac;
}

json::value money_json(const v1::Money& money) {
  return json::object{{"amount_minor", money.amount_minor()}, {"currency", money.currency()}};
}

json::object order_view_json(const v1::OrderView& view) {
  json::array lines;
  for (const auto& line : view.lines()) {
    lines.push_back(json::object{{"sku", line.sku()},
                                 {"name", line.name()},
                                 {"quantity", line.quantity()},
                                 {"unit_price", money_json(line.unit_price())}});
  }
  json::object o;
  o["order_id"] = view.order_id();
  o["customer_id"] = view.customer_id();
  o["status"] = view.status();
  o["payment_status"] = view.payment_status();
  o["fulfillment_status"] = view.fulfillment_status();
  o["lines"] = std::move(lines);
  o["total"] = money_json(view.total());
  o["version"] = view.version();
  o["created_at"] = rfc3339_utc(view.created_at_us());
  o["updated_at"] = rfc3339_utc(view.updated_at_us());
  return o;
}

json::object product_view_json(const v1::ProductView& view) {
  json::object o;
  o["sku"] = view.sku();
  o["name"] = view.name();
  o["price"] = money_json(view.price());
  o["available"] = view.on_hand() - view.committed();
  o["active"] = view.active();
  return o;
}

namespace {

json::value scalar_json(const pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor& f,
                        int index) {
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return rep ? r.GetRepeatedInt32(m, &f, index) : r.GetInt32(m, &f);
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return rep ? r.GetRepeatedInt64(m, &f, index) : r.GetInt64(m, &f);
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r.GetRepeatedUInt32(m, &f, index) : r.GetUInt32(m, &f);
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r.GetRepeatedUInt64(m, &f, index) : r.GetUInt64(m, &f);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r.GetRepeatedDouble(m, &f, index) : r.GetDouble(m, &f);
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r.GetRepeatedFloat(m, &f, index) : r.GetFloat(m, &f);
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r.GetRepeatedBool(m, &f, index) : r.GetBool(m, &f);
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = rep ? r.GetRepeatedEnum(m, &f, index) : r.GetEnum(m, &f);
      return json::string(e->name());
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r.GetRepeatedString(m, &f, index) : r.GetString(m, &f);
      if (f.type() == pb::FieldDescriptor::TYPE_BYTES) {
        // Bytes as lower-case hex: no field of an event is binary today.
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex;
        for (unsigned char c : s) {
          hex.push_back(kHex[c >> 4]);
          hex.push_back(kHex[c & 0xf]);
        }
        return json::string(hex);
      }
      return json::string(s);
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return message_json(rep ? r.GetRepeatedMessage(m, &f, index) : r.GetMessage(m, &f));
  }
  return nullptr;
}

}  // namespace

json::value message_json(const pb::Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  json::object o;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated()) {
      json::array items;
      const int n = reflection->FieldSize(message, field);
      for (int k = 0; k < n; ++k) items.push_back(scalar_json(message, *reflection, *field, k));
      o[field->name()] = std::move(items);
      continue;
    }
    // Unset sub-messages and unset oneof members are left out; scalars always shown.
    if ((field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE || field->containing_oneof()) &&
        !reflection->HasField(message, field)) {
      continue;
    }
    o[field->name()] = scalar_json(message, *reflection, *field, 0);
  }
  return o;
}

std::optional<json::object> event_json(const v1::EventEnvelope& envelope, std::string position_token) {
  v1::EventPayload payload;
  if (!payload.ParseFromString(envelope.payload())) return std::nullopt;
  const auto* oneof = payload.GetDescriptor()->FindOneofByName("event");
  const auto* field = oneof ? payload.GetReflection()->GetOneofFieldDescriptor(payload, oneof) : nullptr;
  json::object o;
  o["position"] = std::move(position_token);
  o["type"] = envelope.type();
  o["stream_version"] = envelope.stream_version();
  o["occurred_at"] = rfc3339_utc(envelope.occurred_at_us());
  // Which request (X-Request-Id / traceparent) and which command wrote the event.
  o["correlation_id"] = envelope.correlation_id();
  o["causation_id"] = envelope.causation_id();
  if (field != nullptr) {
    o["data"] = message_json(payload.GetReflection()->GetMessage(payload, field));
  } else {
    o["data"] = json::object{};
  }
  return o;
}

namespace {

void write_canonical(const json::value& v, std::string& out) {
  if (const auto* obj = v.if_object()) {
    std::vector<const json::key_value_pair*> members;
    members.reserve(obj->size());
    for (const auto& kv : *obj) members.push_back(&kv);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    bool first = true;
    for (const auto* kv : members) {
      if (!first) out.push_back(',');
      first = false;
      out += json::serialize(json::string(kv->key()));
      out.push_back(':');
      write_canonical(kv->value(), out);
    }
    out.push_back('}');
  } else if (const auto* arr = v.if_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : *arr) {
      if (!first) out.push_back(',');
      first = false;
      write_canonical(item, out);
    }
    out.push_back(']');
  } else {
    out += json::serialize(v);
  }
}

const char* kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

// The integer a JSON number stands for, if it is one that fits in [lo, hi].
enum class IntCheck { ok, not_integer, out_of_range };
IntCheck to_integer(const json::value& v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (v.is_int64()) {
    out = v.get_int64();
  } else if (v.is_uint64()) {
    return IntCheck::out_of_range;  // beyond int64
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d) || std::floor(d) != d) return IntCheck::not_integer;
    // 1e30 and friends: integral, but never representable.
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) return IntCheck::out_of_range;
    out = static_cast<std::int64_t>(d);
  } else {
    return IntCheck::not_integer;
  }
  if (out < lo || out > hi) return IntCheck::out_of_range;
  return IntCheck::ok;
}

}  // namespace

std::string canonical_json(const json::value& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

FieldReader::FieldReader(const json::object& object, std::vector<FieldError>& errors, std::string prefix)
    : object_(object), errors_(errors), prefix_(std::move(prefix)) {}

std::string FieldReader::path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void FieldReader::fail(std::string_view key, std::string message) {
  errors_.push_back({path(key), std::move(message)});
}

const json::value* FieldReader::find(std::string_view key, bool required) {
  const auto* v = object_.if_contains(key);
  if (v == nullptr || (v->is_null() && !required)) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  if (v->is_null()) {
    fail(key, "is required");
    return nullptr;
  }
  return v;
}

std::optional<std::string> FieldReader::string(std::string_view key, bool required) {
  const auto* v = find(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(key, std::string("must be a string, not ") + kind_name(*v));
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<std::int32_t> FieldReader::int32(std::string_view key, bool required) {
  const auto* v = find(key, required);
  if (v == nullptr) return std::nullopt;
  std::int64_t out = 0;
  switch (to_integer(*v, std::numeric_limits<std::int32_t>::min(),
                     std::numeric_limits<std::int32_t>::max(), out)) {
    case IntCheck::ok: return static_cast<std::int32_t>(out);
    case IntCheck::not_integer: fail(key, "must be an integer"); return std::nullopt;
    case IntCheck::out_of_range: fail(key, "is out of range"); return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::int64_t> FieldReader::int64(std::string_view key, bool required) {
  const auto* v = find(key, required);
  if (v == nullptr) return std::nullopt;
  std::int64_t out = 0;
  // Doubles only up to 2^53: beyond, the JSON number was already rounded by the parser.
  constexpr std::int64_t kLo = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kHi = std::numeric_limits<std::int64_t>::max();
  if (v->is_double() && std::fabs(v->get_double()) > 9007199254740992.0) {
    fail(key, "is out of range");
    return std::nullopt;
  }
  switch (to_integer(*v, kLo, kHi, out)) {
    case IntCheck::ok: return out;
    case IntCheck::not_integer: fail(key, "must be an integer"); return std::nullopt;
    case IntCheck::out_of_range: fail(key, "is out of range"); return std::nullopt;
  }
  return std::nullopt;
}

std::optional<v1::Money> FieldReader::money(std::string_view key, bool required) {
  const auto* v = find(key, required);
  if (v == nullptr) return std::nullopt;
  const auto* obj = v->if_object();
  if (obj == nullptr) {
    fail(key, R"(must be an object {"amount_minor", "currency"})");
    return std::nullopt;
  }
  const std::size_t before = errors_.size();
  FieldReader inner(*obj, errors_, path(key));
  auto amount = inner.int64("amount_minor");
  auto currency = inner.string("currency");
  if (errors_.size() != before || !amount || !currency) return std::nullopt;
  v1::Money m;
  m.set_amount_minor(*amount);
  m.set_currency(*currency);
  return m;
}

const json::array* FieldReader::array(std::string_view key, bool required) {
  const auto* v = find(key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    fail(key, std::string("must be an array, not ") + kind_name(*v));
    return nullptr;
  }
  return &v->get_array();
}

namespace {

// The body's root must be an object; returns it or records the error.
const json::object* root_object(const json::value& body, std::vector<FieldError>& errors) {
  const auto* obj = body.if_object();
  if (obj == nullptr) errors.push_back({"", std::string("the body must be a JSON object, not ") + kind_name(body)});
  return obj;
}

}  // namespace

Parsed<v1::PlaceOrder> parse_place_order(const json::value& body) {
  Parsed<v1::PlaceOrder> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.string("customer_id")) out.value.set_customer_id(*v);
  if (auto v = r.string("currency")) out.value.set_currency(*v);
  if (const auto* lines = r.array("lines")) {
    if (lines->empty()) r.fail("lines", "must not be empty");
    // Far beyond what the domain accepts; bounds the work of a hostile body.
    if (lines->size() > 1000) {
      r.fail("lines", "has too many items");
      return out;
    }
    for (std::size_t i = 0; i < lines->size(); ++i) {
      const std::string prefix = "lines[" + std::to_string(i) + "]";
      const auto* line = (*lines)[i].if_object();
      if (line == nullptr) {
        out.errors.push_back({prefix, std::string("must be an object, not ") + kind_name((*lines)[i])});
        continue;
      }
      FieldReader lr(*line, out.errors, prefix);
      auto* added = out.value.add_lines();
      if (auto v = lr.string("sku")) added->set_sku(*v);
      if (auto v = lr.int32("quantity")) added->set_quantity(*v);
    }
  }
  return out;
}

Parsed<v1::RegisterCustomer> parse_register_customer(const json::value& body) {
  Parsed<v1::RegisterCustomer> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.string("email")) out.value.set_email(*v);
  if (auto v = r.string("name")) out.value.set_name(*v);
  return out;
}

Parsed<v1::OrderAction> parse_order_action(const json::value& body) {
  Parsed<v1::OrderAction> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.string("reason", false)) out.value.set_reason(*v);
  if (auto v = r.string("return_id", false)) {
    if (v->empty()) r.fail("return_id", "must not be empty");
    out.value.set_return_id(*v);
  }
  return out;
}

Parsed<v1::CreateProduct> parse_create_product(const json::value& body) {
  Parsed<v1::CreateProduct> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.string("sku")) out.value.set_sku(*v);
  if (auto v = r.string("name")) out.value.set_name(*v);
  if (auto v = r.money("price")) *out.value.mutable_price() = *v;
  if (auto v = r.int64("stock")) out.value.set_stock(*v);
  return out;
}

Parsed<v1::ChangePrice> parse_change_price(const json::value& body) {
  Parsed<v1::ChangePrice> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.money("price")) *out.value.mutable_price() = *v;
  return out;
}

Parsed<v1::Restock> parse_restock(const json::value& body) {
  Parsed<v1::Restock> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.int64("quantity")) out.value.set_quantity(*v);
  return out;
}

Parsed<v1::Discontinue> parse_discontinue(const json::value& body) {
  Parsed<v1::Discontinue> out;
  const auto* obj = root_object(body, out.errors);
  if (obj == nullptr) return out;
  FieldReader r(*obj, out.errors);
  if (auto v = r.string("reason", false)) out.value.set_reason(*v);
  return out;
}

}  // namespace orderline::gateway
