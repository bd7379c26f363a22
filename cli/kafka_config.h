#pragma once
// Turns `--event-log kafka://...` into the Kafka clients' options; every role of the
// distributed deployment (serve, gateway, processor, projector) goes through here.
#include <string>
#include <vector>

#include "eventstore/kafka/kafka_event_log.h"

namespace orderline::cli {

// Throws std::runtime_error with the parser's sentence when the URL is not usable.
// `client_options` are librdkafka settings NAME=VALUE passed to every Kafka client (TLS, SASL:
// security.protocol, ssl.ca.location, sasl.mechanisms, sasl.username, sasl.password, ...);
// settings the exactly-once design depends on (bootstrap.servers, transactional.id,
// enable.idempotence, acks, isolation.level, group.id, enable.auto.commit) are refused.
eventstore::KafkaLogOptions kafka_log_options(const std::string& url,
                                              const std::vector<std::string>& client_options = {});

}  // namespace orderline::cli
