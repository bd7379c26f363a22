#include "eventstore/kafka/group_membership.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

#include "eventstore/kafka/client_conf.h"

namespace orderline::eventstore {
namespace {

void trampoline(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<GroupMembership*>(opaque)->on_rebalance(err, partitions);
}

}  // namespace

GroupMembership::GroupMembership(const KafkaLogOptions& options, std::string topic, std::string group_id,
                                 std::chrono::milliseconds session_timeout)
    : topic_(std::move(topic)) {
  ClientConf conf("kafka group");
  conf.set("bootstrap.servers", options.brokers);
  conf.set("client.id", "orderline-group-member");
  conf.set("group.id", group_id);
  conf.set("partition.assignment.strategy", "cooperative-sticky");
  conf.set("enable.auto.commit", "false");
  conf.set("session.timeout.ms", std::to_string(session_timeout.count()));
  conf.set("heartbeat.interval.ms", std::to_string(std::max<std::int64_t>(session_timeout.count() / 4, 100)));
  conf.set("log.connection.close", "false");
  conf.set_all(options.client_config);
  rd_kafka_conf_set_rebalance_cb(conf.get(), trampoline);
  rd_kafka_conf_set_opaque(conf.get(), this);
  consumer_ = conf.create(RD_KAFKA_CONSUMER);
  rd_kafka_poll_set_consumer(consumer_);
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  const auto err = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(consumer_);
    throw std::runtime_error("kafka group: cannot subscribe to " + topic_ + ": " + rd_kafka_err2str(err));
  }
}

GroupMembership::~GroupMembership() {
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
}

bool GroupMembership::poll(std::chrono::milliseconds timeout) {
  // Paused partitions deliver nothing, so this only runs callbacks and heartbeats.
  if (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, static_cast<int>(timeout.count()))) {
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      spdlog::warn("kafka group on {}: {}", topic_, rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
  }
  const bool changed = changed_;
  changed_ = false;
  return changed;
}

void GroupMembership::on_rebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (auto* error = rd_kafka_incremental_assign(consumer_, partitions)) rd_kafka_error_destroy(error);
    } else {
      rd_kafka_assign(consumer_, partitions);
    }
    rd_kafka_pause_partitions(consumer_, partitions);
    for (int i = 0; i < partitions->cnt; ++i) owned_.insert(static_cast<std::uint32_t>(partitions->elems[i].partition));
  } else {
    for (int i = 0; i < partitions->cnt; ++i) owned_.erase(static_cast<std::uint32_t>(partitions->elems[i].partition));
    if (cooperative) {
      if (auto* error = rd_kafka_incremental_unassign(consumer_, partitions)) rd_kafka_error_destroy(error);
    } else {
      rd_kafka_assign(consumer_, nullptr);
    }
  }
  changed_ = true;
}

}  // namespace orderline::eventstore
