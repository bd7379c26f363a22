#include "commands/kafka/kafka_command_bus.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <vector>

#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "eventstore/kafka/topic_admin.h"
#include "eventstore/partitioning.h"
#include "observability/log.h"

namespace orderline::commands {
namespace {

std::int64_t system_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

rd_kafka_t* new_client(rd_kafka_type_t type, const eventstore::KafkaLogOptions& kafka,
                       const std::vector<std::pair<std::string, std::string>>& settings,
                       void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  eventstore::ClientConf conf("kafka command bus");
  conf.set("bootstrap.servers", kafka.brokers);
  conf.set("socket.nagle.disable", "true");
  conf.set("log.connection.close", "false");
  for (const auto& [name, value] : settings) conf.set(name, value);
  conf.set_all(kafka.client_config);
  if (dr != nullptr) rd_kafka_conf_set_dr_msg_cb(conf.get(), dr);
  // Both clients of the bus are polled by its reader thread all the time.
  eventstore::enable_kafka_statistics(conf.get(), kafka.statistics_interval);
  return conf.create(type);
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  // The command's reply will not come; its caller gets timed_out at the deadline (504
  // outcome_unknown), which is the truth: the producer cannot always know whether it landed.
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    observability::log("commands")->warn("a command was not delivered to {} [{}]: {}", rd_kafka_topic_name(message->rkt),
                                         message->partition, rd_kafka_err2str(message->err));
  }
}

}  // namespace

KafkaCommandBus::KafkaCommandBus(KafkaBusOptions options) : options_(std::move(options)) {
  if (!options_.now_us) options_.now_us = system_now_us;
  const auto& kafka = options_.kafka;
  if (kafka.brokers.empty()) throw std::runtime_error("kafka command bus: no brokers given");
  commands_topic_ = eventstore::ensure_commands_topic(kafka);
  const int reply_count = eventstore::ensure_replies_topic(kafka, static_cast<int>(options_.reply_partitions));
  replies_topic_ = eventstore::replies_topic(kafka.topic_prefix);
  if (options_.reply_partition >= static_cast<std::uint32_t>(reply_count)) {
    throw std::runtime_error(fmt::format("kafka command bus: reply partition {} does not exist: {} has {} partitions",
                                         options_.reply_partition, replies_topic_, reply_count));
  }

  // Commands are not transactional: a gateway's send is one record, and the idempotent
  // producer keeps a retried send from landing twice.
  const auto timeout_ms = std::to_string(options_.default_timeout.count());
  producer_ = new_client(RD_KAFKA_PRODUCER, kafka,
                         {{"client.id", "orderline-gateway"},
                          {"enable.idempotence", "true"},
                          {"acks", "all"},
                          {"linger.ms", "1"},
                          {"message.timeout.ms", timeout_ms}},
                         on_delivery);
  replies_ = new_client(RD_KAFKA_CONSUMER, kafka,
                        {{"client.id", "orderline-gateway-replies"},
                         {"group.id", kafka.topic_prefix + ".gateway-replies"},  // assign() only; never joined
                         {"isolation.level", "read_committed"},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"fetch.wait.max.ms", "10"},
                         {"fetch.error.backoff.ms", "10"}});
  rd_kafka_poll_set_consumer(replies_);

  // The position is fixed before the first send: every reply to a command of ours is
  // written after it, so starting at today's end misses none and reads no stale one.
  // A topic created a moment ago (by another role) answers "not leader" for a moment.
  std::int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  const auto deadline = std::chrono::steady_clock::now() + kafka.connect_timeout;
  for (;;) {
    err = rd_kafka_query_watermark_offsets(replies_, replies_topic_.c_str(),
                                           static_cast<std::int32_t>(options_.reply_partition), &low, &high,
                                           static_cast<int>(kafka.connect_timeout.count()));
    const bool transient = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                           err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                           err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (!transient || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(producer_);
    rd_kafka_destroy(replies_);
    throw std::runtime_error(fmt::format("kafka command bus: cannot read the end of {} [{}] at {}: {}", replies_topic_,
                                         options_.reply_partition, kafka.brokers, rd_kafka_err2str(err)));
  }
  reply_start_ = high;
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, replies_topic_.c_str(), static_cast<std::int32_t>(options_.reply_partition))
      ->offset = high;
  err = rd_kafka_assign(replies_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(producer_);
    rd_kafka_destroy(replies_);
    throw std::runtime_error(std::string("kafka command bus: cannot assign the reply partition: ") + rd_kafka_err2str(err));
  }
  // Learn the commands topic's leaders now, not on the first send.
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, commands_topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(producer_, 0, handle, &metadata, static_cast<int>(kafka.connect_timeout.count())) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  reader_ = std::thread([this] { run(); });
}

KafkaCommandBus::~KafkaCommandBus() {
  running_.store(false);
  if (reader_.joinable()) reader_.join();
  std::unordered_multimap<std::string, Pending> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(pending_);
  }
  for (auto& [command_id, pending] : left) {
    CommandReply reply;
    reply.kind = CommandReply::Kind::shutting_down;
    reply.outcome.set_command_id(command_id);
    pending.on_reply(std::move(reply));
  }
  rd_kafka_flush(producer_, 2000);
  rd_kafka_consumer_close(replies_);
  rd_kafka_destroy(replies_);
  rd_kafka_destroy(producer_);
}

std::size_t KafkaCommandBus::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void KafkaCommandBus::submit(v1::Command command, ReplyHandler on_reply) {
  auto refuse = [&](CommandReply::Kind kind, std::string detail = {}) {
    CommandReply reply;
    reply.kind = kind;
    reply.outcome.set_command_id(command.command_id());
    reply.outcome.set_error_detail(std::move(detail));
    on_reply(std::move(reply));
  };
  if (!running_.load()) return refuse(CommandReply::Kind::shutting_down);
  if (command.deadline_us() == 0) {
    command.set_deadline_us(options_.now_us() +
                            std::chrono::duration_cast<std::chrono::microseconds>(options_.default_timeout).count());
  }
  command.set_reply_partition(options_.reply_partition);
  const auto partition = eventstore::partition_for(command.stream_id(), options_.kafka.partitions);
  const std::string value = command.SerializeAsString();
  const std::string command_id = command.command_id();
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= options_.max_pending) return refuse(CommandReply::Kind::overloaded);
    // Registered before the send, so a reply can never arrive unclaimed.
    pending_.emplace(command_id, Pending{std::move(on_reply), command.deadline_us()});
  }
  const auto err = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(commands_topic_.c_str()),
                                     RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(partition)),
                                     RD_KAFKA_V_KEY(command.stream_id().data(), command.stream_id().size()),
                                     RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Not sent at all (the local queue is full, the client is failing): nothing can have
    // been recorded, so this is back-pressure, not an unknown outcome.
    CommandReply reply;
    reply.kind = err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? CommandReply::Kind::overloaded : CommandReply::Kind::failed;
    reply.outcome.set_command_id(command_id);
    reply.outcome.set_error_detail(std::string("cannot send the command to Kafka: ") + rd_kafka_err2str(err));
    answer(command_id, reply);
  }
}

void KafkaCommandBus::answer(const std::string& command_id, const CommandReply& reply) {
  std::vector<ReplyHandler> handlers;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = pending_.equal_range(command_id);
    for (auto it = first; it != last; ++it) handlers.push_back(std::move(it->second.on_reply));
    pending_.erase(first, last);
  }
  for (auto& handler : handlers) handler(reply);
}

void KafkaCommandBus::expire(std::int64_t now_us) {
  std::vector<std::pair<std::string, ReplyHandler>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline_us <= now_us) {
        expired.emplace_back(it->first, std::move(it->second.on_reply));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [command_id, handler] : expired) {
    CommandReply reply;
    reply.kind = CommandReply::Kind::timed_out;
    reply.outcome.set_command_id(command_id);
    handler(std::move(reply));
  }
}

void KafkaCommandBus::run() {
  auto last_expiry = std::chrono::steady_clock::now();
  while (running_.load()) {
    rd_kafka_poll(producer_, 0);  // delivery reports
    rd_kafka_message_t* message = rd_kafka_consumer_poll(replies_, 20);
    if (message != nullptr) {
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        CommandReply reply;
        reply.kind = CommandReply::Kind::done;
        if (reply.outcome.ParseFromArray(message->payload, static_cast<int>(message->len)) &&
            !reply.outcome.command_id().empty()) {
          answer(reply.outcome.command_id(), reply);
        } else {
          observability::log("commands")->error("undecodable reply at {} [{}] offset {}", replies_topic_,
                                                message->partition, message->offset);
        }
      } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        observability::log("commands")->warn("reading replies: {}", rd_kafka_message_errstr(message));
      }
      rd_kafka_message_destroy(message);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_expiry >= std::chrono::milliseconds(20)) {
      last_expiry = now;
      expire(options_.now_us());
    }
  }
}

}  // namespace orderline::commands
