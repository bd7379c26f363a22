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

// The configs the event log creates its topics with (kafka_event_log.cpp), and a restore too.
// Events: never expired (the log is the source of truth), log time is the broker's.
std::vector<std::pair<std::string, std::string>> events_topic_configs();
// Outcomes: one per command id is all a retry needs; compaction keeps the latest.
std::vector<std::pair<std::string, std::string>> outcomes_topic_configs();

// Creates the topic if it does not exist and waits until every partition has a leader.
// Returns its partition count (the existing one, which may differ from spec.partitions).
// Throws std::runtime_error naming the brokers when the cluster does not answer or refuses.
int ensure_topic(const KafkaLogOptions& client, const TopicSpec& spec);

// Replaces the dynamic configs of an existing topic with exactly `configs` (AlterConfigs: a
// setting not named goes back to the broker's default). A restore creates the events topic
// with CreateTime to write the backed-up log times, then gives it the events topic's configs.
// Throws std::runtime_error naming the topic and the broker's reason.
void set_topic_configs(const KafkaLogOptions& options, const TopicSpec& spec);

// The commands topic, created with options.partitions; throws when it exists with another
// count (it must match the events and outcomes topics).
std::string ensure_commands_topic(const KafkaLogOptions& options);

// The replies topic, created with `partitions` when missing; returns its partition count.
int ensure_replies_topic(const KafkaLogOptions& options, int partitions);

std::string commands_topic(const std::string& prefix);
std::string replies_topic(const std::string& prefix);

}  // namespace orderline::eventstore
