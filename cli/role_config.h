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
  // --saga: new orders are marked for the order saga (run `orderd saga` beside); off, as
  // before the saga role existed, `pay` authorises and captures at once. Every processor of a
  // deployment must agree.
  bool saga = false;
};

// `orderd projector NAME`: a read-model projector alone (today: NAME = postgres).
struct ProjectorRoleConfig {
  std::string name;
  std::string event_log;            // kafka://... (required)
  std::string data_dir = "./data";  // its local index of the log
  std::uint32_t partitions = 8;
  std::string postgres_dsn;         // --pg (required for postgres)
  // An event the read models cannot fold after retries: "park" it as a dead letter and go on,
  // or "stop" the projector on it (/readyz says why; a restart of the role retries it).
  std::string on_poison = "park";
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE: TLS/SASL client settings
  std::string log_level = "info";
  OperatorHttpConfig operator_http;  // /healthz, /readyz, /metrics
};

// `orderd saga`: the order saga alone (the same SagaRunner as `orderd serve`), reading the
// events topic and sending its commands over Kafka like a gateway. A singleton: exactly one
// runs per deployment. Its command ids and payment idempotency keys are deterministic, so a
// restart on the same data dir repeats nothing; two at once would each keep a payment ledger
// of their own, so the instances join consumer group <prefix>.saga on the events topic and
// only the one that owns partition 0 runs (a second one waits as a standby).
struct SagaRoleConfig {
  std::string event_log;              // kafka://... (required)
  std::string data_dir = "./data";    // its checkpoints, due-time index, payment ledger, local index
  std::uint32_t partitions = 8;       // of the topics; checked against existing ones
  std::uint32_t reply_partition = 15; // its partition of <prefix>.replies: the last of the default 16, not a gateway's
  std::uint32_t reply_partitions = 16;  // partitions of <prefix>.replies when it is created
  int command_timeout_ms = 5000;      // a saga command's deadline; past it the saga sends it again (same id)
  int session_timeout_ms = 8000;      // a dead saga's group membership ends after this; then a standby runs
  SagaSettings saga;                  // payment provider and reservation time-to-live (as `orderd serve`)
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE: TLS/SASL client settings
  std::string log_level = "info";
  OperatorHttpConfig operator_http;   // /healthz, /readyz, /metrics
  int kafka_statistics_ms = 5000;     // librdkafka statistics period (Kafka metrics); 0: off
};

void add_gateway_flags(CLI::App& command, GatewayRoleConfig& config);
void add_processor_flags(CLI::App& command, ProcessorRoleConfig& config);
void add_projector_flags(CLI::App& command, ProjectorRoleConfig& config);
void add_saga_flags(CLI::App& command, SagaRoleConfig& config);

}  // namespace orderline::cli
