#pragma once
// The log's partitions read as one timeline: a k-way merge of per-partition cursors by log
// time (ties by partition, then offset). Log times never decrease within a partition, so the
// result is in log-time order overall, and memory holds one record per partition whatever the
// ranges' length. Exports write this order; a fold that spans partitions (the catalogue's
// committed stock is moved by order events of every partition) must replay in it too, since a
// partition-by-partition replay may fold an order before the product it refers to exists.
//
//   MergedCursor merged(reader, {{0, 0, reader.end_offset(0)}, {1, 0, reader.end_offset(1)}});
//   while (const LogRecord* record = merged.next()) ...
#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

#include "eventstore/embedded/log_reader.h"
#include "eventstore/history_reader.h"

namespace orderline::eventstore {

class MergedCursor {
 public:
  using Range = HistoryRange;

  // Any log's history: the embedded log's or Kafka's (history_reader.h).
  MergedCursor(const HistoryReader& reader, const std::vector<Range>& ranges);  // throws on read errors

  // The next record, valid until the following call; nullptr at the end. Throws on read errors.
  const LogRecord* next();

 private:
  struct Later {
    const std::vector<LogRecord>* heads;
    bool operator()(std::size_t a, std::size_t b) const;
  };

  std::vector<std::unique_ptr<RecordCursor>> cursors_;
  std::vector<LogRecord> heads_;  // heads_[i]: cursors_[i]'s current record, when queued
  std::priority_queue<std::size_t, std::vector<std::size_t>, Later> queue_;
  std::size_t current_ = SIZE_MAX;  // the index handed out by the last next(), to advance first
};

}  // namespace orderline::eventstore
