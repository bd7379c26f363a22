#pragma once
// The events topic of a Kafka deployment as a HistoryReader (history_reader.h), for
// `orderctl events export --event-log kafka://...`: the same merge, filters and output as an
// export of the embedded log.
//
// One read_committed consumer of its own, never a member of a consumer group: assign() with
// explicit start offsets (a group id is set only because librdkafka's assign() needs one;
// nothing is joined or committed, so running an export moves no one's offsets). Each
// partition's records come from that partition's own queue (rd_kafka_queue_get_partition,
// not forwarded to the consumer queue), so the merge can ask for "the next record of
// partition p" without buffering the others itself, and librdkafka's prefetch limit
// (queued.max.messages.kbytes) applies per partition: memory stays bounded whatever the
// partitions' speeds. No pause/resume is needed for that (DESIGN: not with batches on 2.0).
//
// Ends: the last stable offsets when the reader opens. A range stops at its `to` offset;
// since transaction markers and aborted records take offsets that read_committed never
// returns, a partition is also done when its end-of-partition event (enable.partition.eof)
// reports a position at or past `to`.
//
// Times: the events topic is LogAppendTime (kafka_event_log.h), in milliseconds; a record's
// log_time_us is that times 1000, and offset_for_time() rounds up to the millisecond, so
// "first record with log time >= t" is exact.
//
//   KafkaHistoryOptions options;
//   options.brokers = "127.0.0.1:9092";
//   options.topic_prefix = "shop";           // reads shop.events
//   KafkaHistoryReader reader(options);
//   MergedCursor merged(reader, {{0, 0, reader.end_offset(0)}, ...});
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "eventstore/history_reader.h"
#include "eventstore/kafka/last_client_error.h"

struct rd_kafka_s;  // librdkafka's rd_kafka_t

namespace orderline::eventstore {

struct KafkaHistoryOptions {
  std::string brokers;                        // bootstrap.servers, "host:port[,host:port...]"
  std::string topic_prefix = "orderline";     // reads <topic_prefix>.<topic>
  // librdkafka settings passed through to the consumer (TLS, SASL, ...), after ours.
  std::map<std::string, std::string> client_config;
  // Reaching the cluster and each offsets query: an unreachable broker fails after this.
  std::chrono::milliseconds connect_timeout{10'000};
  // A read that receives nothing (no record, no end-of-partition) for this long fails.
  std::chrono::milliseconds stall_timeout{30'000};
  // Which topic of the prefix: "events" (exports), or "outcomes" (a backup copies both).
  std::string topic = "events";
};

// The topic does not exist (a wrong prefix): the caller's argument names nothing.
class KafkaTopicNotFound : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class KafkaHistoryReader final : public HistoryReader {
 public:
  // Connects, checks that the events topic exists, and takes its last stable offsets as the
  // ends. Throws KafkaTopicNotFound for a missing topic and std::runtime_error (naming the
  // brokers and the client's last error) when the cluster does not answer.
  explicit KafkaHistoryReader(KafkaHistoryOptions options);
  ~KafkaHistoryReader() override;
  KafkaHistoryReader(const KafkaHistoryReader&) = delete;
  KafkaHistoryReader& operator=(const KafkaHistoryReader&) = delete;

  std::uint32_t partition_count() const override { return static_cast<std::uint32_t>(ends_.size()); }
  std::uint64_t end_offset(std::uint32_t partition) const override;
  std::uint64_t offset_for_time(std::uint32_t partition, std::int64_t time_us) const override;
  // Assigns the consumer to exactly these ranges (replacing any earlier assignment, whose
  // cursors must be gone by then).
  std::vector<std::unique_ptr<RecordCursor>> open_ranges(const std::vector<HistoryRange>& ranges) const override;

  const std::string& topic() const { return topic_; }

  // The client's last error or error-level log line ("" if none), for messages; any thread.
  std::string last_client_error() const;

 private:
  class Cursor;
  // ListOffsets (partition, timestamp) on the events topic; -1 where there is none.
  std::vector<std::int64_t> list_offsets(const std::vector<std::pair<std::uint32_t, std::int64_t>>& queries) const;
  std::string describe_failure(const std::string& what, const char* error) const;

  KafkaHistoryOptions options_;
  std::string topic_;
  // Where librdkafka's callbacks put the last error: a command-line export must not print
  // their log lines (stdout may be the export itself), so the exception that ends it names it.
  std::unique_ptr<LastClientError> errors_;
  ::rd_kafka_s* consumer_ = nullptr;
  std::vector<std::uint64_t> ends_;
};

}  // namespace orderline::eventstore
