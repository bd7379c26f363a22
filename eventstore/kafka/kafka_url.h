#pragma once
// `--event-log kafka://HOST:PORT[,HOST:PORT...][?prefix=P&replication=N]`: where the Kafka
// deployment's topics live. One parser for every role (serve, gateway, processor, projector),
// so they cannot disagree about the topics of one deployment.
//
//   parse_kafka_url("kafka://127.0.0.1:9092?prefix=shop")
//     -> brokers "127.0.0.1:9092", topic_prefix "shop", replication_factor -1 (broker default)
#include <string>
#include <string_view>
#include <variant>

namespace orderline::eventstore {

struct KafkaUrl {
  std::string brokers;                  // librdkafka bootstrap.servers
  std::string topic_prefix = "orderline";  // topics are <prefix>.events, .outcomes, .commands, .replies
  int replication_factor = -1;          // of topics created at start; -1: the broker's default
};

// The parsed URL, or a sentence saying what is wrong with it (for a start-up error).
std::variant<KafkaUrl, std::string> parse_kafka_url(std::string_view url);

// True when `value` names Kafka (starts with kafka://), so callers can tell it from a path.
bool is_kafka_url(std::string_view value);

}  // namespace orderline::eventstore
