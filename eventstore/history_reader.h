#pragma once
// Read-only access to the history of a log, for tools that replay ranges of it (exports):
// the embedded log through a RocksDB secondary (embedded/log_reader.h), Kafka through a
// consumer of its own (kafka/kafka_history_reader.h). MergedCursor merges the cursors of
// either into one timeline, so an export does not know which log it reads.
//
// The ends are fixed when the reader is opened (or caught up): a range never runs past what
// the log held then, so a busy log does not keep a replay going.
//
//   auto cursors = reader.open_ranges({{0, 0, reader.end_offset(0)}, {1, 0, reader.end_offset(1)}});
//   LogRecord record;
//   while (cursors[0]->next(record)) ...
#include <cstdint>
#include <memory>
#include <vector>

#include "eventstore/event_log.h"

namespace orderline::eventstore {

// The records of one partition in a range, one at a time (memory stays flat however long).
class RecordCursor {
 public:
  virtual ~RecordCursor() = default;
  // Fills `record` with the next one (reusing its buffers); false at the end of the range.
  // Throws std::runtime_error on an undecodable record or a read error.
  virtual bool next(LogRecord& record) = 0;
};

struct HistoryRange {
  std::uint32_t partition = 0;
  std::uint64_t from = 0;  // inclusive
  std::uint64_t to = 0;    // exclusive
};

class HistoryReader {
 public:
  virtual ~HistoryReader() = default;
  virtual std::uint32_t partition_count() const = 0;
  // Next offset after the last record a replay may return, as of the reader's open (or its
  // last catch-up). In Kafka: the last stable offset, so nothing undecided is ever read.
  virtual std::uint64_t end_offset(std::uint32_t partition) const = 0;
  // First offset whose log time is >= time_us (end_offset if none). Throws on read errors.
  virtual std::uint64_t offset_for_time(std::uint32_t partition, std::int64_t time_us) const = 0;
  // One cursor per range, in the ranges' order; each partition at most once. The reader must
  // outlive the cursors. Throws on read errors.
  virtual std::vector<std::unique_ptr<RecordCursor>> open_ranges(const std::vector<HistoryRange>& ranges) const = 0;
};

}  // namespace orderline::eventstore
