#pragma once
// A message of the events topic as a LogRecord, for every reader of it (the log's reader, its
// tail follower, the export's history reader). Assigns into `record` so a reader that reuses
// one keeps its buffers. The log time is the broker's LogAppendTime, in microseconds.
#include <librdkafka/rdkafka.h>

#include <cstdint>

#include "eventstore/event_log.h"

namespace orderline::eventstore {

inline void assign_log_record(const rd_kafka_message_t& message, LogRecord& record) {
  record.partition = static_cast<std::uint32_t>(message.partition);
  record.offset = static_cast<std::uint64_t>(message.offset);
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  record.log_time_us = rd_kafka_message_timestamp(&message, &type) * 1000;
  record.key.assign(static_cast<const char*>(message.key), message.key != nullptr ? message.key_len : 0);
  record.value.assign(static_cast<const char*>(message.payload), message.payload != nullptr ? message.len : 0);
}

}  // namespace orderline::eventstore
