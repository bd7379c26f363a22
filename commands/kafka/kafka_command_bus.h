#pragma once
// The gateway's CommandBus in the distributed deployment (DESIGN rule 5): a command goes to
// <prefix>.commands on its stream's partition, carrying command_id, deadline and this
// gateway's reply_partition; the processor that owns the partition answers on that partition
// of <prefix>.replies, inside the transaction that commits the command's events. This bus
// reads its reply partition with assign() (no group) and read_committed, positioned at the
// partition's end before the first command is sent, so an aborted transaction never
// acknowledges and no earlier reply is mistaken for a new one.
//
// A command without a reply by its deadline is answered timed_out (the gateway's 504
// outcome_unknown with the command id): the processor drops commands past their deadline, and
// a retry with the same command id returns the first outcome if there was one, so retrying is
// always safe.
//
//   KafkaCommandBus bus({.kafka = log_options, .reply_partition = 3});
//   bus.submit(command, [](CommandReply reply) { ... });   // any thread; answers exactly once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "commands/command_bus.h"
#include "eventstore/kafka/kafka_event_log.h"

struct rd_kafka_s;

namespace orderline::commands {

struct KafkaBusOptions {
  // brokers, topic_prefix, partitions (of the commands topic: checked, DESIGN rule 1),
  // replication_factor and client_config (TLS/SASL pass-through) are used.
  eventstore::KafkaLogOptions kafka;
  // This gateway's partition of <prefix>.replies. Each running gateway needs its own: two
  // gateways on one partition would each read the other's replies (harmless but wasteful).
  std::uint32_t reply_partition = 0;
  // Partition count of the replies topic when this bus creates it (the most gateways).
  std::uint32_t reply_partitions = 16;
  // Commands awaiting their reply; beyond, submit answers overloaded (429), DESIGN rule 8.
  std::size_t max_pending = 16384;
  // Deadline of a command that carries none (deadline_us 0).
  std::chrono::milliseconds default_timeout{5000};
  // Wall clock in microseconds (deadlines are wall-clock: the processor compares them with
  // its own clock). Default: the system clock.
  std::function<std::int64_t()> now_us;
};

class KafkaCommandBus final : public CommandBus {
 public:
  // Connects, creates or checks the commands and replies topics, positions the reply reader.
  // Throws std::runtime_error when the cluster does not answer or a partition count is wrong.
  explicit KafkaCommandBus(KafkaBusOptions options);
  ~KafkaCommandBus() override;  // answers every pending command shutting_down
  KafkaCommandBus(const KafkaCommandBus&) = delete;
  KafkaCommandBus& operator=(const KafkaCommandBus&) = delete;

  void submit(v1::Command command, ReplyHandler on_reply) override;
  std::uint32_t partition_count() const override { return options_.kafka.partitions; }

  std::size_t pending() const;
  // The first offset this bus reads on its reply partition (for tests).
  std::int64_t reply_start_offset() const { return reply_start_; }

 private:
  struct Pending {
    ReplyHandler on_reply;
    std::int64_t deadline_us = 0;
  };
  void run();  // the reply reader: replies and deadlines
  void answer(const std::string& command_id, const CommandReply& reply);
  void expire(std::int64_t now_us);

  KafkaBusOptions options_;
  std::string commands_topic_;
  std::string replies_topic_;
  ::rd_kafka_s* producer_ = nullptr;
  ::rd_kafka_s* replies_ = nullptr;
  std::int64_t reply_start_ = 0;
  mutable std::mutex mutex_;
  std::unordered_multimap<std::string, Pending> pending_;
  std::atomic<bool> running_{true};
  std::thread reader_;
};

}  // namespace orderline::commands
