#include "cli/event_export.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

#include "cli/proto_json.h"
#include "domain/restricted_streams.h"
#include "eventstore/embedded/merged_cursor.h"
#include "eventstore/partitioning.h"
#include "gateway/csv.h"
#include "gateway/json_mapping.h"
#include "gateway/order_search_params.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"

namespace orderline::cli {
namespace {

using eventstore::LogRecord;

// Decodes one record into the envelope (without its payload bytes) and the payload, and prints
// them through the Protobuf JSON mapping (proto_json.h) straight into the output. Reused
// across records, so its buffers are too.
struct Decoded {
  v1::EventEnvelope envelope;

  bool parse_envelope(const LogRecord& record) { return envelope.ParseFromString(record.value); }

  // After parse_envelope: the payload decoded (or not: its JSON is then null), and dropped
  // from the envelope, whose JSON leaves it out.
  void decode_payload() {
    payload_ok_ = fresh_payload().ParseFromString(envelope.payload());
    envelope.clear_payload();
  }
  void append_envelope_json(std::string& out) const { cli::append_envelope_json(envelope, out); }
  void append_data_json(std::string& out) const {
    if (payload_ok_) append_proto_json(*payload_, out);
    else out += "null";
  }

 private:
  // Payloads change their oneof case from event to event, which frees and allocates the
  // sub-message each time; on an arena that is a pointer bump, and the arena is emptied every
  // few thousand events so that memory stays flat.
  v1::EventPayload& fresh_payload() {
    if (payload_ == nullptr || ++parsed_ % 4096 == 0) {
      arena_.Reset();
      payload_ = google::protobuf::Arena::CreateMessage<v1::EventPayload>(&arena_);
    }
    return *payload_;
  }
  google::protobuf::Arena arena_;
  v1::EventPayload* payload_ = nullptr;
  std::size_t parsed_ = 0;
  bool payload_ok_ = false;
};

template <typename T>
void append_decimal(T value, std::string& out) {
  char text[24];
  out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

// gateway::rfc3339_utc, byte for byte, without its strftime and allocations per call: the
// date and time of day are formatted once per second (consecutive records mostly share it),
// the microseconds every time.
class TimeText {
 public:
  void append(std::int64_t micros, std::string& out) {
    std::int64_t seconds = micros / 1'000'000;
    std::int64_t fraction = micros % 1'000'000;
    if (fraction < 0) {
      fraction += 1'000'000;
      --seconds;
    }
    if (!known_ || seconds != seconds_) {
      prefix_ = gateway::rfc3339_utc(seconds * 1'000'000);
      prefix_.resize(prefix_.size() - 8);  // ".000000Z"
      seconds_ = seconds;
      known_ = true;
    }
    out += prefix_;
    char text[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
    for (int i = 6; i >= 1; --i, fraction /= 10) text[i] = static_cast<char>('0' + fraction % 10);
    out.append(text, sizeof text);
  }

 private:
  bool known_ = false;
  std::int64_t seconds_ = 0;
  std::string prefix_;
};

// The JSON of one record's times (log time; business time in CSV), cached per export.
struct Times {
  TimeText log_time;
  TimeText occurred_at;
};

void append_json_line(const LogRecord& record, const Decoded& decoded, Times& times, std::string& out) {
  out += R"({"partition":)";
  append_decimal(record.partition, out);
  out += R"(,"offset":)";
  append_decimal(record.offset, out);
  out += R"(,"log_time":")";
  times.log_time.append(record.log_time_us, out);
  out += R"(","log_time_us":)";
  append_decimal(record.log_time_us, out);
  out += R"(,"envelope":)";
  decoded.append_envelope_json(out);
  out += R"(,"data":)";
  decoded.append_data_json(out);
  out += '}';
}

void append_csv_row(const LogRecord& record, const Decoded& decoded, Times& times, std::string& scratch,
                    std::string& out) {
  const auto& e = decoded.envelope;
  // csv_row's fields, appended one by one: no vector of copies per event. Unsigned numbers
  // need neither quotes nor a formula guard; times go through the guard (a year before 0 starts
  // with '-').
  auto text = [&](std::string_view value) { gateway::append_csv_field(value, out); };
  auto via_scratch = [&](auto&& print) {
    scratch.clear();
    print(scratch);
    gateway::append_csv_field(scratch, out);
  };
  append_decimal(record.partition, out);
  out += ',';
  append_decimal(record.offset, out);
  out += ',';
  via_scratch([&](std::string& s) { times.log_time.append(record.log_time_us, s); });
  out += ',';
  text(e.event_id());
  out += ',';
  text(e.stream_id());
  out += ',';
  append_decimal(e.stream_version(), out);
  out += ',';
  text(e.type());
  out += ',';
  append_decimal(e.schema_version(), out);
  out += ',';
  via_scratch([&](std::string& s) { times.occurred_at.append(e.occurred_at_us(), s); });
  out += ',';
  text(e.correlation_id());
  out += ',';
  text(e.causation_id());
  out += ',';
  text(e.command_id());
  out += ',';
  text(e.actor());
  out += ',';
  via_scratch([&](std::string& s) { decoded.append_data_json(s); });
  out += "\r\n";
}

// [from, to) of one partition: the bounds resolved against its offsets and log times, `to`
// clamped to the end the reader saw when the export started.
std::pair<std::uint64_t, std::uint64_t> partition_range(const eventstore::HistoryReader& reader,
                                                        std::uint32_t partition, const ExportBound& from,
                                                        const ExportBound& to) {
  const std::uint64_t end = reader.end_offset(partition);
  auto resolve = [&](const ExportBound& bound, std::uint64_t unbounded) -> std::uint64_t {
    switch (bound.kind) {
      case ExportBound::Kind::none: return unbounded;
      case ExportBound::Kind::time: return reader.offset_for_time(partition, bound.time_us);
      case ExportBound::Kind::position: {
        auto it = bound.position.offsets.find(partition);
        return it == bound.position.offsets.end() ? unbounded : it->second;
      }
    }
    return unbounded;
  };
  const std::uint64_t first = std::min(resolve(from, 0), end);
  const std::uint64_t last = std::min(resolve(to, end), end);
  return {first, std::max(first, last)};
}

class Writer {
 public:
  explicit Writer(std::FILE* out) : out_(out) { buffer_.reserve(kFlushAt + 64 * 1024); }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size()) {
      throw std::runtime_error("cannot write the export (disk full, or the reader went away)");
    }
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;
  std::FILE* out_;
  std::string buffer_;
};

}  // namespace

std::optional<ExportBound> parse_export_bound(std::string_view text) {
  ExportBound bound;
  if (auto time = gateway::parse_rfc3339_micros(text)) {
    bound.kind = ExportBound::Kind::time;
    bound.time_us = *time;
    return bound;
  }
  if (auto position = eventstore::decode_position(text)) {
    bound.kind = ExportBound::Kind::position;
    bound.position = std::move(*position);
    return bound;
  }
  return std::nullopt;
}

std::string progress_line(const ExportProgress& p) {
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.scanned) / p.elapsed_s : 0;
  const double percent = p.total ? 100.0 * static_cast<double>(p.scanned) / static_cast<double>(p.total) : 100.0;
  char text[256];
  if (p.done) {
    std::snprintf(text, sizeof text, "exported %llu of %llu events in %.1f s (%.0f events/s)",
                  static_cast<unsigned long long>(p.exported), static_cast<unsigned long long>(p.scanned),
                  p.elapsed_s, rate);
    if (!p.end_position.empty()) return text + std::string("; next: --from ") + p.end_position;
  } else {
    const double eta = rate > 0 ? static_cast<double>(p.total - std::min(p.scanned, p.total)) / rate : 0;
    std::snprintf(text, sizeof text, "export  %llu/%llu events  %.1f%%  %.0f events/s  ETA %.0f s  (written %llu)",
                  static_cast<unsigned long long>(p.scanned), static_cast<unsigned long long>(p.total), percent,
                  rate, std::ceil(eta), static_cast<unsigned long long>(p.exported));
  }
  return text;
}

void append_event_json(const LogRecord& record, std::string& out) {
  Decoded decoded;
  if (!decoded.parse_envelope(record)) decoded.envelope.Clear();
  decoded.decode_payload();
  Times times;
  append_json_line(record, decoded, times, out);
}

std::string event_csv_header() {
  return gateway::csv_row({"partition", "offset", "log_time", "event_id", "stream_id", "stream_version", "type",
                           "schema_version", "occurred_at", "correlation_id", "causation_id", "command_id", "actor",
                           "data"});
}

void append_event_csv(const LogRecord& record, std::string& out) {
  Decoded decoded;
  if (!decoded.parse_envelope(record)) decoded.envelope.Clear();
  decoded.decode_payload();
  Times times;
  std::string scratch;
  append_csv_row(record, decoded, times, scratch, out);
}

ExportProgress export_events(const eventstore::HistoryReader& reader, const ExportOptions& options,
                             std::FILE* out) {
  if (!options.stream.empty() && domain::is_restricted_stream(options.stream)) {
    throw std::invalid_argument("stream " + options.stream + " is restricted (credentials are never exported)");
  }
  const std::uint32_t partitions = reader.partition_count();
  // A stream lives in one partition: the others need not be read at all.
  const bool one_stream = !options.stream.empty();
  const std::uint32_t stream_partition = one_stream ? eventstore::partition_for(options.stream, partitions) : 0;
  const std::unordered_set<std::string> types(options.types.begin(), options.types.end());

  ExportProgress progress;
  std::vector<eventstore::MergedCursor::Range> ranges;
  for (std::uint32_t p = 0; p < partitions; ++p) {
    if (one_stream && stream_partition != p) continue;
    const auto [first, last] = partition_range(reader, p, options.from, options.to);
    progress.total += last - first;
    ranges.push_back({p, first, last});
  }
  eventstore::PositionVector end;
  for (const auto& range : ranges) end.offsets[range.partition] = range.to;
  eventstore::MergedCursor merged(reader, ranges);

  Writer writer(out);
  if (options.format == ExportFormat::csv) writer.buffer() += event_csv_header();
  Decoded decoded;
  Times times;
  std::string scratch;
  const auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  auto elapsed = [&](std::chrono::steady_clock::time_point now) {
    return std::chrono::duration<double>(now - started).count();
  };
  while (const LogRecord* next = merged.next()) {
    const LogRecord& record = *next;
    ++progress.scanned;
    bool keep = (!one_stream || record.key == options.stream) && !domain::is_restricted_stream(record.key);
    if (keep) {
      // An envelope that does not decode is still exported (empty, data null) unless a type
      // filter asks for types it cannot show: losing it silently would hide corruption.
      const bool parsed = decoded.parse_envelope(record);
      if (!parsed) decoded.envelope.Clear();
      keep = !domain::is_restricted_stream(decoded.envelope.stream_id()) &&
             (types.empty() || (parsed && types.count(decoded.envelope.type())));
    }
    if (keep) {
      decoded.decode_payload();
      if (options.format == ExportFormat::csv) {
        append_csv_row(record, decoded, times, scratch, writer.buffer());
      } else {
        append_json_line(record, decoded, times, writer.buffer());
        writer.buffer() += '\n';
      }
      ++progress.exported;
      writer.maybe_flush();
    }
    if (options.on_progress && (progress.scanned & 1023) == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report >= std::chrono::milliseconds(250)) {
        last_report = now;
        progress.elapsed_s = elapsed(now);
        options.on_progress(progress);
      }
    }
  }
  writer.flush();
  if (std::fflush(out) != 0) throw std::runtime_error("cannot write the export (disk full, or the reader went away)");
  progress.elapsed_s = elapsed(std::chrono::steady_clock::now());
  progress.done = true;
  progress.end_position = eventstore::encode_position(end);
  if (options.on_progress) options.on_progress(progress);
  return progress;
}

}  // namespace orderline::cli
