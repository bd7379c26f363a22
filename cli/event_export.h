#pragma once
// `orderctl events export`: the embedded log, read through a RocksDB secondary beside a running
// orderd, written out as JSON lines or CSV for analysts.
//
// - Streamed: one record per partition is held at a time (eventstore::MergedCursor, a k-way
//   merge of the partitions by log time, then partition and offset), so memory stays flat for
//   any log size, and the output is a single timeline.
// - Bounds are log time (RFC 3339, via offsets-for-time) or position tokens, as a half-open
//   range [from, to) per partition: consecutive exports (--from T1 --to T2, --from T2 ...)
//   neither overlap nor leave gaps. Without --to the export ends at the log's end when it
//   started, so a busy server does not keep it running.
// - Events are decoded through the Protobuf JSON mapping, envelope fields included.
// - Restricted streams (domain::is_restricted_stream) are never written, whatever the filters.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/history_reader.h"
#include "eventstore/position.h"

namespace orderline::cli {

// One end of an export range: none (the log's start or end), a log time, or a position token
// (an entry per partition; partitions the token does not name are not bounded by it).
struct ExportBound {
  enum class Kind { none, time, position };
  Kind kind = Kind::none;
  std::int64_t time_us = 0;
  eventstore::PositionVector position;
};

// "2026-11-29T10:15:30Z", "2026-11-29" (midnight UTC) or a position token ("p1....");
// nullopt when it is neither.
std::optional<ExportBound> parse_export_bound(std::string_view text);

enum class ExportFormat { jsonl, csv };

struct ExportProgress {
  std::uint64_t scanned = 0;   // records read so far (exported or filtered out)
  std::uint64_t total = 0;     // records in the range (before filters)
  std::uint64_t exported = 0;  // records written
  double elapsed_s = 0;
  bool done = false;
  // When done: the position token of the range's end on every partition read, so the next
  // export can go on with --from it and neither miss nor repeat an event.
  std::string end_position;
};

// "export  1234567/2000000 events  61.7%  312000 events/s  ETA 2s  (written 1234000)"; when
// done: "exported 80 of 83 events in 0.1 s (830 events/s); next: --from p1...."
std::string progress_line(const ExportProgress& progress);

struct ExportOptions {
  ExportBound from;
  ExportBound to;
  std::vector<std::string> types;  // envelope types to keep; empty: all
  std::string stream;              // the only stream to keep; empty: all
  ExportFormat format = ExportFormat::jsonl;
  // Called about every quarter second while exporting and once at the end (done = true).
  std::function<void(const ExportProgress&)> on_progress;
};

// Writes the range to `out`; returns the final counts. Throws std::runtime_error on read or
// write errors and std::invalid_argument when asked for a restricted stream.
ExportProgress export_events(const eventstore::HistoryReader& reader, const ExportOptions& options,
                             std::FILE* out);

// One record as the JSON line of `events dump` and `events export --format jsonl`:
// {"partition","offset","log_time","log_time_us","envelope":{...},"data":{...}} without the
// newline. data is null when the payload does not decode.
void append_event_json(const eventstore::LogRecord& record, std::string& out);

// The CSV header and one row (RFC 4180, CRLF-ended; data is the payload as JSON).
std::string event_csv_header();
void append_event_csv(const eventstore::LogRecord& record, std::string& out);

}  // namespace orderline::cli
