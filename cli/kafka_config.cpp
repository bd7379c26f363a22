#include "cli/kafka_config.h"

#include <stdexcept>

#include "eventstore/kafka/kafka_url.h"

namespace orderline::cli {

eventstore::KafkaLogOptions kafka_log_options(const std::string& url) {
  auto parsed = eventstore::parse_kafka_url(url);
  if (auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error("--event-log: " + *error);
  const auto& kafka = std::get<eventstore::KafkaUrl>(parsed);
  eventstore::KafkaLogOptions options;
  options.brokers = kafka.brokers;
  options.topic_prefix = kafka.topic_prefix;
  options.replication_factor = kafka.replication_factor;
  return options;
}

}  // namespace orderline::cli
