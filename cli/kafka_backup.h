#pragma once
// Backup and restore of a Kafka deployment (`orderctl backup|restore DIR --event-log
// kafka://BROKERS?prefix=P`). The log is the source of truth, so the log is what is saved:
// every committed record of <prefix>.outcomes and <prefix>.events (in that order: an outcome
// never names events the backup lacks), read read_committed up to the last stable offsets the
// readers saw when they opened, with partition, offset, log time, key and value
// (kafka_backup_format.h). Read models are not saved: they are folded again from the log.
//
// A restore writes them into the empty topics of a new prefix (created here: events, outcomes
// with the event log's configs, and commands), the same partitions, in the same order, with the
// backed-up log times (the events topic is created with CreateTime for that, then given
// LogAppendTime), through an idempotent producer; then checks the counts per partition. The
// offsets are the restored topic's own: the source's transaction markers took offsets that a
// plain copy does not, so a position token or checkpoint of the old deployment means nothing
// here, and every projector and processor of the new prefix starts from an empty data
// directory / database (docs/operations.md).
#include <string>

#include "eventstore/kafka/kafka_event_log.h"

namespace orderline::cli {

// Exit statuses as `orderctl backup|restore`: 0 done, 2 refused (a non-empty DIR, not a backup,
// topics that already hold records), 1 failed (Kafka unreachable, a write that failed).
int run_kafka_backup(const std::string& dir, const eventstore::KafkaLogOptions& source);
int run_kafka_restore(const std::string& dir, const eventstore::KafkaLogOptions& target);

}  // namespace orderline::cli
