#pragma once
// Follows every partition of the events topic with one read_committed consumer that stays
// assigned, and keeps the newest committed records in a CommittedTail. For a Kafka event
// log that other processes write (a gateway, a projector, the saga, a processor of a
// group): its readers then follow the log from memory -- end_offset(), read() near the
// end, wait_any() and wait_beyond() -- instead of re-assigning one reader per partition and
// asking the brokers for the last stable offsets every few milliseconds. A new commit
// reaches them when the consumer's fetch long-poll returns, not at the next poll tick.
//
// Why its ends are exact: a read_committed consumer is only given records below the last
// stable offset, so once it has handed out the record at offset o, every offset up to o is
// decided; its end-of-partition event carries its fetch position at the last stable offset,
// past commit markers and aborted records. So a partition's end here is a last stable offset
// the brokers had reached, never one they had not: it may trail the brokers (by the time
// one fetch takes), never lead them.
//
// A partition the consumer cannot follow (an error other than a transient one) is
// invalidated: readers then ask the brokers again, as without a follower.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/kafka/committed_tail.h"

struct rd_kafka_s;  // librdkafka's rd_kafka_t

namespace orderline::eventstore {

class TailFollower {
 public:
  // Takes `consumer` (read_committed, enable.partition.eof, a group id for assign(); never
  // subscribed) and follows each partition p of `topic` from `ends[p]`, the last stable
  // offsets just read from the brokers. `budget_bytes` bounds the records held (see
  // CommittedTail). Throws std::runtime_error when the assignment fails.
  TailFollower(rd_kafka_s* consumer, std::string topic, const std::vector<std::uint64_t>& ends,
               std::size_t budget_bytes);
  // Stops following, then closes and destroys the consumer.
  ~TailFollower();
  TailFollower(const TailFollower&) = delete;
  TailFollower& operator=(const TailFollower&) = delete;

  const CommittedTail& tail() const { return tail_; }

 private:
  void run();

  rd_kafka_s* consumer_;
  std::string topic_;
  CommittedTail tail_;
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace orderline::eventstore
