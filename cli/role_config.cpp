#include "cli/role_config.h"

#include <CLI/CLI.hpp>

namespace orderline::cli {

void add_gateway_flags(CLI::App& command, GatewayRoleConfig& config) {
  // A gateway cannot seed alone (a processor must answer), so seeding is asked for explicitly.
  config.http.demo_catalogue = false;
  add_serve_flags(command, config.http);
  command.add_option("--reply-partition", config.reply_partition,
                     "This gateway's partition of <prefix>.replies (unique per running gateway)")
      ->envname("ORDERLINE_REPLY_PARTITION")
      ->capture_default_str();
  command.add_option("--reply-partitions", config.reply_partitions, "Partitions of <prefix>.replies when created")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
}

void add_processor_flags(CLI::App& command, ProcessorRoleConfig& config) {
  command.add_option("--event-log", config.event_log, "kafka://HOST:PORT[?prefix=P&replication=N]")
      ->envname("ORDERLINE_EVENT_LOG")
      ->required();
  command.add_option("--data-dir", config.data_dir, "Directory of the local index and read models")
      ->envname("ORDERLINE_DATA_DIR")
      ->capture_default_str();
  command.add_option("--partitions", config.partitions, "Partitions of the topics")
      ->envname("ORDERLINE_PARTITIONS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--instance-id", config.instance_id,
                     "Stable id of this processor instance (its transactional.id); a restart with the same id "
                     "fences the previous one")
      ->envname("ORDERLINE_INSTANCE_ID")
      ->required();
  command.add_option("--max-batch", config.max_batch, "Commands per transaction")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  command.add_option("--session-timeout-ms", config.session_timeout_ms, "Consumer group session timeout")
      ->check(CLI::Range(1000, 300000))
      ->capture_default_str();
  command.add_option("--kafka-option", config.kafka_options,
                     "librdkafka client setting NAME=VALUE (TLS, SASL; repeatable)");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->envname("ORDERLINE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  add_operator_http_flags(command, config.operator_http);
  add_kafka_statistics_flag(command, config.kafka_statistics_ms);
}

void add_projector_flags(CLI::App& command, ProjectorRoleConfig& config) {
  command.add_option("name", config.name, "Which projector: postgres")
      ->required()
      ->check(CLI::IsMember({"postgres"}));
  command.add_option("--event-log", config.event_log, "kafka://HOST:PORT[?prefix=P&replication=N]")
      ->envname("ORDERLINE_EVENT_LOG")
      ->required();
  command.add_option("--data-dir", config.data_dir, "Directory of the local index")
      ->envname("ORDERLINE_DATA_DIR")
      ->capture_default_str();
  command.add_option("--partitions", config.partitions, "Partitions of the topics")
      ->envname("ORDERLINE_PARTITIONS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--pg", config.postgres_dsn, "PostgreSQL of the read models")->envname("ORDERLINE_PG")->required();
  command.add_option("--kafka-option", config.kafka_options,
                     "librdkafka client setting NAME=VALUE (TLS, SASL; repeatable)");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->envname("ORDERLINE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  add_operator_http_flags(command, config.operator_http);
}

}  // namespace orderline::cli
