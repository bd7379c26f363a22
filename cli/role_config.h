#pragma once
// Settings of the distributed deployment's roles (`orderd gateway|processor|projector`), each
// documented and defaulted here; flags override ORDERLINE_* environment variables.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/operator_http.h"
#include "cli/serve_config.h"

namespace CLI {
class App;
}

namespace orderline::cli {

// `orderd gateway`: the HTTP API, commands to Kafka, RocksDB read models fed from the events
// topic. Takes serve's HTTP and data flags (the command queue and PostgreSQL flags have no
// effect here) plus:
struct GatewayRoleConfig {
  ServeConfig http;
  std::uint32_t reply_partition = 0;    // this gateway's partition of <prefix>.replies; unique per gateway
  std::uint32_t reply_partitions = 16;  // partitions of <prefix>.replies when it is created
};

// `orderd processor`: a member of the consumer group that owns command partitions.
struct ProcessorRoleConfig {
  std::string event_log;              // kafka://... (required)
  std::string data_dir = "./data";    // its local index and catalogue read models
  std::uint32_t partitions = 8;       // of the topics; checked against existing ones
  std::string instance_id;            // stable per instance (required): transactional.id <prefix>.processor.<id>
  std::size_t max_batch = 512;        // commands per transaction
  int session_timeout_ms = 8000;      // a dead processor's partitions move after this
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE: TLS/SASL client settings
  std::string log_level = "info";
  OperatorHttpConfig operator_http;   // /healthz, /readyz, /metrics
  int kafka_statistics_ms = 5000;     // librdkafka statistics period (Kafka metrics); 0: off
};

// `orderd projector NAME`: a read-model projector alone (today: NAME = postgres).
struct ProjectorRoleConfig {
  std::string name;
  std::string event_log;            // kafka://... (required)
  std::string data_dir = "./data";  // its local index of the log
  std::uint32_t partitions = 8;
  std::string postgres_dsn;         // --pg (required for postgres)
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE: TLS/SASL client settings
  std::string log_level = "info";
  OperatorHttpConfig operator_http;  // /healthz, /readyz, /metrics
};

void add_gateway_flags(CLI::App& command, GatewayRoleConfig& config);
void add_processor_flags(CLI::App& command, ProcessorRoleConfig& config);
void add_projector_flags(CLI::App& command, ProjectorRoleConfig& config);

}  // namespace orderline::cli
