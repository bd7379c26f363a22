#pragma once
// The topics of the distributed deployment that the event log itself does not own:
// <prefix>.commands (co-partitioned with events and outcomes, DESIGN rule 1) and
// <prefix>.replies (one partition per gateway). Created through the admin API when missing;
// an existing topic keeps its partition count, and callers refuse to start on a mismatch.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/kafka/kafka_event_log.h"

namespace orderline::eventstore {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  std::vector<std::pair<std::string, std::string>> configs;  // topic configs of a new topic
};

// Creates the topic if it does not exist and waits until every partition has a leader.
// Returns its partition count (the existing one, which may differ from spec.partitions).
// Throws std::runtime_error naming the brokers when the cluster does not answer or refuses.
int ensure_topic(const KafkaLogOptions& client, const TopicSpec& spec);

// The commands topic, created with options.partitions; throws when it exists with another
// count (it must match the events and outcomes topics).
std::string ensure_commands_topic(const KafkaLogOptions& options);

// The replies topic, created with `partitions` when missing; returns its partition count.
int ensure_replies_topic(const KafkaLogOptions& options, int partitions);

std::string commands_topic(const std::string& prefix);
std::string replies_topic(const std::string& prefix);

}  // namespace orderline::eventstore
