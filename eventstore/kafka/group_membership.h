#pragma once
// Membership of a Kafka consumer group used only for its assignment: which partitions of a
// topic this process owns, with cooperative-sticky rebalancing and the group's failure
// detection (session timeout). Nothing is consumed through it (every assigned partition stays
// paused); the owner reads its partitions by other means and only asks what it owns. The
// PostgreSQL projector role uses it to split the events topic between its instances.
//
//   GroupMembership group(options, "shop.events", "shop.projector.postgres");
//   for (;;) { if (group.poll(200ms)) restart_with(group.owned()); }
#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "eventstore/kafka/kafka_event_log.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace orderline::eventstore {

class GroupMembership {
 public:
  // Joins on the first poll(). Throws std::runtime_error when the client cannot be created.
  GroupMembership(const KafkaLogOptions& options, std::string topic, std::string group_id,
                  std::chrono::milliseconds session_timeout = std::chrono::milliseconds(8000));
  ~GroupMembership();  // leaves the group
  GroupMembership(const GroupMembership&) = delete;
  GroupMembership& operator=(const GroupMembership&) = delete;

  // Serves the group protocol for up to `timeout`; true when the owned set changed.
  bool poll(std::chrono::milliseconds timeout);
  const std::set<std::uint32_t>& owned() const { return owned_; }

  void on_rebalance(int err, rd_kafka_topic_partition_list_s* partitions);  // librdkafka's callback

 private:
  std::string topic_;
  ::rd_kafka_s* consumer_ = nullptr;
  std::set<std::uint32_t> owned_;
  bool changed_ = false;
};

}  // namespace orderline::eventstore
