// The export's bytes, pinned: a fixed history (every event type of EventPayload with every
// field set, awkward text, restricted streams, records that do not decode) exported as JSON
// lines and CSV must equal the files in tests/fixtures/, which were written by the export as
// it was before its speed-ups. Any change to what an analyst receives shows here.
//
// To regenerate after an intended change of the output (and review the diff):
//   ORDERLINE_WRITE_GOLDEN=1 build/tests/export_golden_test
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/event_export.h"
#include "eventstore/history_reader.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"

#ifndef ORDERLINE_SOURCE_DIR
#error "ORDERLINE_SOURCE_DIR must name the source tree"
#endif

namespace orderline::cli {
namespace {

namespace pb = google::protobuf;

// A log held in memory: partitions of records with contiguous offsets (the reader under the
// export is the only thing faked; the export code is the real one).
class MemoryHistory final : public eventstore::HistoryReader {
 public:
  explicit MemoryHistory(std::uint32_t partitions) : partitions_(partitions) {}
  void add(std::uint32_t partition, std::int64_t log_time_us, std::string key, std::string value) {
    auto& records = partitions_[partition];
    records.push_back({partition, records.size(), log_time_us, std::move(key), std::move(value)});
  }
  std::uint32_t partition_count() const override { return static_cast<std::uint32_t>(partitions_.size()); }
  std::uint64_t end_offset(std::uint32_t partition) const override { return partitions_[partition].size(); }
  std::uint64_t offset_for_time(std::uint32_t partition, std::int64_t time_us) const override {
    const auto& records = partitions_[partition];
    for (const auto& r : records) {
      if (r.log_time_us >= time_us) return r.offset;
    }
    return records.size();
  }
  std::vector<std::unique_ptr<eventstore::RecordCursor>> open_ranges(
      const std::vector<eventstore::HistoryRange>& ranges) const override {
    std::vector<std::unique_ptr<eventstore::RecordCursor>> cursors;
    for (const auto& range : ranges) cursors.push_back(std::make_unique<Cursor>(partitions_[range.partition], range));
    return cursors;
  }

 private:
  class Cursor final : public eventstore::RecordCursor {
   public:
    Cursor(const std::vector<eventstore::LogRecord>& records, eventstore::HistoryRange range)
        : records_(records), next_(range.from), to_(std::min<std::uint64_t>(range.to, records.size())) {}
    bool next(eventstore::LogRecord& record) override {
      if (next_ >= to_) return false;
      record = records_[next_++];
      return true;
    }

   private:
    const std::vector<eventstore::LogRecord>& records_;
    std::uint64_t next_, to_;
  };
  std::vector<std::vector<eventstore::LogRecord>> partitions_;
};

// Text that exercises the JSON and CSV escapes: quotes, commas, control characters, a NUL,
// non-ASCII, and a leading '=' a spreadsheet would run.
std::string awkward(int n) {
  static const char* kinds[] = {"plain-", "=SUM(A1)\"quoted\", comma ", "tab\there\nline\r", "ünïcødé €", "ctl\x01\x1f\x7f"};
  std::string text = kinds[n % 5];
  text += std::to_string(n);
  if (n % 7 == 0) text += std::string("\0nul", 4);
  return text;
}

// Every field of `message` set, recursively, from a counter: scalars of both signs, repeated
// fields with two elements, enums by their second value. Deterministic.
void fill(pb::Message& message, int& counter, int depth = 0) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* f = descriptor->field(i);
    if (f->containing_oneof() != nullptr && f->containing_oneof()->field_count() > 1 &&
        f != f->containing_oneof()->field(0)) {
      continue;  // one member of each oneof (EventPayload's is chosen by the caller)
    }
    const int n = ++counter;
    const int copies = f->is_repeated() ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const bool rep = f->is_repeated();
      const std::int64_t signed_value = (n % 3 == 0 ? -1 : 1) * (static_cast<std::int64_t>(n) * 1'000'003 + c);
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT32:
          rep ? reflection->AddInt32(&message, f, static_cast<std::int32_t>(signed_value))
              : reflection->SetInt32(&message, f, static_cast<std::int32_t>(signed_value));
          break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
          rep ? reflection->AddInt64(&message, f, signed_value * 1'000'000) : reflection->SetInt64(&message, f, signed_value * 1'000'000);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          rep ? reflection->AddUInt32(&message, f, static_cast<std::uint32_t>(n + c)) : reflection->SetUInt32(&message, f, static_cast<std::uint32_t>(n));
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          rep ? reflection->AddUInt64(&message, f, 18'000'000'000'000'000'000ull + static_cast<std::uint64_t>(n + c))
              : reflection->SetUInt64(&message, f, 18'000'000'000'000'000'000ull + static_cast<std::uint64_t>(n));
          break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
          rep ? reflection->AddDouble(&message, f, n * 0.25 + c) : reflection->SetDouble(&message, f, n * 0.25);
          break;
        case pb::FieldDescriptor::CPPTYPE_FLOAT:
          rep ? reflection->AddFloat(&message, f, static_cast<float>(n) * 0.5f + static_cast<float>(c))
              : reflection->SetFloat(&message, f, static_cast<float>(n) * 0.5f);
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          rep ? reflection->AddBool(&message, f, true) : reflection->SetBool(&message, f, true);
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = f->enum_type();
          const int number = e->value(std::min(1, e->value_count() - 1))->number();
          rep ? reflection->AddEnumValue(&message, f, number) : reflection->SetEnumValue(&message, f, number);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          const auto text = f->type() == pb::FieldDescriptor::TYPE_BYTES ? std::string("\x00\xff\x10 bytes", 9) + std::to_string(n + c)
                                                                         : awkward(n + c);
          rep ? reflection->AddString(&message, f, text) : reflection->SetString(&message, f, text);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4) fill(rep ? *reflection->AddMessage(&message, f) : *reflection->MutableMessage(&message, f), counter, depth + 1);
          break;
      }
    }
  }
}

MemoryHistory fixed_history() {
  constexpr std::uint32_t kPartitions = 3;
  MemoryHistory history(kPartitions);
  const auto* oneof = v1::EventPayload::descriptor()->FindOneofByName("event");
  int counter = 0;
  std::int64_t log_time = 1'764'000'000'123'456;  // 2025-11-24T16:00:00.123456Z
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < oneof->field_count(); ++i, ++counter) {
      v1::EventPayload payload;
      const auto* f = oneof->field(i);
      fill(*payload.GetReflection()->MutableMessage(&payload, f), counter);
      v1::EventEnvelope envelope;
      const bool restricted = counter % 11 == 5;
      const std::string stream = (restricted ? (counter % 2 ? "credentials-" : "account-") : "order-") + std::to_string(counter % 9);
      envelope.set_event_id("event-" + std::to_string(counter));
      envelope.set_stream_id(stream);
      envelope.set_stream_version(static_cast<std::uint64_t>(counter) + 1);
      envelope.set_type(f->message_type()->name());
      envelope.set_schema_version(counter % 4 == 0 ? 0 : 1);  // 0: not printed (proto3 default)
      envelope.set_occurred_at_us(counter % 5 == 0 ? 0 : log_time - 1'000'000 * counter);
      envelope.set_correlation_id(counter % 3 == 0 ? "" : awkward(counter));
      envelope.set_causation_id("cmd-" + std::to_string(counter));
      if (counter % 2) envelope.set_command_id("cmd-" + std::to_string(counter));
      envelope.set_actor(counter % 4 == 1 ? "=staff,\"x\"" : "anonymous");
      envelope.set_payload(payload.SerializeAsString());
      // Equal log times across partitions now and then: the merge breaks ties by partition.
      log_time += counter % 4 == 0 ? 0 : 1'234'567;
      history.add(static_cast<std::uint32_t>(counter) % kPartitions, log_time, stream, envelope.SerializeAsString());
    }
  }
  // An envelope that does not decode, and one whose payload does not.
  history.add(0, log_time + 1, "order-broken", "definitely not protobuf");
  v1::EventEnvelope bad_payload;
  bad_payload.set_stream_id("order-bad");
  bad_payload.set_type("OrderPlaced");
  bad_payload.set_payload("\xff\xff\xff");
  history.add(1, log_time + 2, "order-bad", bad_payload.SerializeAsString());
  return history;
}

std::string export_to_string(const MemoryHistory& history, const ExportOptions& options) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  export_events(history, options, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

void compare_with_golden(const std::string& text, const std::string& name) {
  const std::string path = std::string(ORDERLINE_SOURCE_DIR) + "/tests/fixtures/" + name;
  if (std::getenv("ORDERLINE_WRITE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << text;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << path;
  const std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(text.size(), golden.size()) << name;
  EXPECT_TRUE(text == golden) << name << ": first difference at byte "
                              << std::mismatch(text.begin(), text.end(), golden.begin()).first - text.begin();
}

TEST(ExportGolden, JsonLinesAreByteForByteTheGoldenFile) {
  const auto history = fixed_history();
  const auto text = export_to_string(history, {});
  EXPECT_GT(text.size(), 10'000u);
  compare_with_golden(text, "export_golden.jsonl");
}

TEST(ExportGolden, CsvIsByteForByteTheGoldenFile) {
  const auto history = fixed_history();
  ExportOptions options;
  options.format = ExportFormat::csv;
  compare_with_golden(export_to_string(history, options), "export_golden.csv");
}

TEST(ExportGolden, FilteredAndBoundedExportsAreByteForByteTheGoldenFile) {
  const auto history = fixed_history();
  ExportOptions options;
  options.types = {"OrderPlaced", "OrderPaid", "ProductCreated"};
  options.from.kind = ExportBound::Kind::time;
  options.from.time_us = 1'764'000'010'000'000;
  compare_with_golden(export_to_string(history, options), "export_golden_filtered.jsonl");
}

}  // namespace
}  // namespace orderline::cli
