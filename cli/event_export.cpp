#include "cli/event_export.h"

#include <google/protobuf/arena.h>

#include <algorithm>
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

// Decodes one record into the envelope (without its payload bytes) and the payload, both as
// JSON through the Protobuf JSON mapping (proto_json.h). Reused across records, so its buffers are too.
struct Decoded {
  v1::EventEnvelope envelope;
  std::string envelope_json;
  std::string data_json;  // "null" when the payload does not decode

  bool parse_envelope(const LogRecord& record) { return envelope.ParseFromString(record.value); }

  // After parse_envelope.
  void to_json() {
    data_json.clear();
    if (fresh_payload().ParseFromString(envelope.payload())) append_proto_json(*payload_, data_json);
    else data_json = "null";
    envelope.clear_payload();
    envelope_json.clear();
    append_proto_json(envelope, envelope_json);
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
};

void append_json_line(const LogRecord& record, const Decoded& decoded, std::string& out) {
  out += R"({"partition":)";
  out += std::to_string(record.partition);
  out += R"(,"offset":)";
  out += std::to_string(record.offset);
  out += R"(,"log_time":")";
  out += gateway::rfc3339_utc(record.log_time_us);
  out += R"(","log_time_us":)";
  out += std::to_string(record.log_time_us);
  out += R"(,"envelope":)";
  out += decoded.envelope_json;
  out += R"(,"data":)";
  out += decoded.data_json;
  out += '}';
}

void append_csv_row(const LogRecord& record, const Decoded& decoded, std::string& out) {
  const auto& e = decoded.envelope;
  // csv_row's fields, appended one by one: no vector of copies per event.
  bool first = true;
  auto field = [&](std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += gateway::csv_field(value);
  };
  field(std::to_string(record.partition));
  field(std::to_string(record.offset));
  field(gateway::rfc3339_utc(record.log_time_us));
  field(e.event_id());
  field(e.stream_id());
  field(std::to_string(e.stream_version()));
  field(e.type());
  field(std::to_string(e.schema_version()));
  field(gateway::rfc3339_utc(e.occurred_at_us()));
  field(e.correlation_id());
  field(e.causation_id());
  field(e.command_id());
  field(e.actor());
  field(decoded.data_json);
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
  decoded.to_json();
  append_json_line(record, decoded, out);
}

std::string event_csv_header() {
  return gateway::csv_row({"partition", "offset", "log_time", "event_id", "stream_id", "stream_version", "type",
                           "schema_version", "occurred_at", "correlation_id", "causation_id", "command_id", "actor",
                           "data"});
}

void append_event_csv(const LogRecord& record, std::string& out) {
  Decoded decoded;
  if (!decoded.parse_envelope(record)) decoded.envelope.Clear();
  decoded.to_json();
  append_csv_row(record, decoded, out);
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
      decoded.to_json();
      if (options.format == ExportFormat::csv) {
        append_csv_row(record, decoded, writer.buffer());
      } else {
        append_json_line(record, decoded, writer.buffer());
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
