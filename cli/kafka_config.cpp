#include "cli/kafka_config.h"

#include <set>
#include <stdexcept>

#include "eventstore/kafka/kafka_url.h"

namespace orderline::cli {

eventstore::KafkaLogOptions kafka_log_options(const std::string& url, const std::vector<std::string>& client_options) {
  auto parsed = eventstore::parse_kafka_url(url);
  if (auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error("--event-log: " + *error);
  const auto& kafka = std::get<eventstore::KafkaUrl>(parsed);
  eventstore::KafkaLogOptions options;
  options.brokers = kafka.brokers;
  options.topic_prefix = kafka.topic_prefix;
  options.replication_factor = kafka.replication_factor;
  static const std::set<std::string> reserved = {"bootstrap.servers", "transactional.id", "enable.idempotence", "acks",
                                                 "isolation.level", "group.id", "enable.auto.commit",
                                                 "enable.auto.offset.store"};
  for (const auto& option : client_options) {
    const auto eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::runtime_error("--kafka-option \"" + option + "\": expected NAME=VALUE");
    }
    const auto name = option.substr(0, eq);
    if (reserved.count(name)) {
      throw std::runtime_error("--kafka-option " + name + " cannot be set: Orderline's exactly-once design depends on it");
    }
    options.client_config[name] = option.substr(eq + 1);
  }
  return options;
}

}  // namespace orderline::cli
