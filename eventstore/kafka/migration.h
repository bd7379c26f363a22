#pragma once
// `orderctl migrate`: an embedded engine's history moved into Kafka (DESIGN "growth path").
//
// Each partition's events are appended in order, in chunks, each chunk one Kafka transaction
// that also carries the outcomes recorded for the commands of those events, so a retry of a
// command answered before the move still gets its first outcome afterwards. An outcome's
// position (the embedded offset after its command's events) is translated to the Kafka offset
// after the same event (AppendBatch::predicted_first_offset), so a position stored in an
// outcome keeps meaning "this command's events have been read".
//
// Resumable: a run counts the records a partition already holds in Kafka, checks that they
// equal the embedded log's first records (count and checksum), and continues after them; a
// Kafka partition holding anything else is refused. Verification at the end compares, per
// partition, the record count and a checksum of every (key, value) in order, and looks up every
// outcome in Kafka. Log times are new (the events topic uses LogAppendTime); the business time
// in each envelope is unchanged.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eventstore/embedded/log_reader.h"
#include "eventstore/kafka/kafka_event_log.h"

namespace orderline::eventstore {

struct MigrationOptions {
  std::size_t chunk = 500;           // records per transaction
  std::uint64_t limit = 0;           // records per partition to move in this run (0: all); for steps
  std::function<void(const std::string&)> progress;  // one line per step; optional
};

struct PartitionMigration {
  std::uint32_t partition = 0;
  std::uint64_t embedded_records = 0;
  std::uint64_t kafka_records = 0;     // after this run
  std::uint64_t moved = 0;             // by this run
  std::uint64_t embedded_checksum = 0;  // FNV-1a 64 over (key, value) of every record, in order
  std::uint64_t kafka_checksum = 0;
  std::uint64_t outcomes = 0;          // recorded for this partition in the embedded log
  std::uint64_t outcomes_missing = 0;  // of those, not found in Kafka (0 when complete)
  bool complete() const {
    return embedded_records == kafka_records && embedded_checksum == kafka_checksum && outcomes_missing == 0;
  }
};

struct MigrationReport {
  std::vector<PartitionMigration> partitions;
  std::string error;  // set when the run stopped (nothing half-written: transactions)
  bool complete() const;
};

MigrationReport migrate(const EmbeddedLogReader& from, KafkaEventLog& to, const MigrationOptions& options);

}  // namespace orderline::eventstore
