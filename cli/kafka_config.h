#pragma once
// Turns `--event-log kafka://...` into the Kafka clients' options; every role of the
// distributed deployment (serve, gateway, processor, projector) goes through here.
#include <string>

#include "eventstore/kafka/kafka_event_log.h"

namespace orderline::cli {

// Throws std::runtime_error with the parser's sentence when the URL is not usable.
eventstore::KafkaLogOptions kafka_log_options(const std::string& url);

}  // namespace orderline::cli
