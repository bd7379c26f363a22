#include "cli/role_config.h"

#include <CLI/CLI.hpp>

namespace orderline::cli {

namespace {

// The flags every Kafka-only role takes, alike in each.
void add_kafka_role_flags(CLI::App& command, std::string& event_log, std::string& data_dir,
                          const std::string& data_dir_help, std::uint32_t& partitions,
                          std::vector<std::string>& kafka_options) {
  command.add_option("--event-log", event_log, "kafka://HOST:PORT[?prefix=P&replication=N]")
      ->envname("ORDERLINE_EVENT_LOG")
      ->required();
  command.add_option("--data-dir", data_dir, data_dir_help)->envname("ORDERLINE_DATA_DIR")->capture_default_str();
  command.add_option("--partitions", partitions, "Partitions of the topics")
      ->envname("ORDERLINE_PARTITIONS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--kafka-option", kafka_options, "librdkafka client setting NAME=VALUE (TLS, SASL; repeatable)");
}

void add_log_level_flag(CLI::App& command, std::string& log_level) {
  command.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("ORDERLINE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

}  // namespace

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
  add_kafka_role_flags(command, config.event_log, config.data_dir, "Directory of the local index and read models",
                       config.partitions, config.kafka_options);
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
  command.add_flag("--saga,!--no-saga", config.saga,
                   "Mark new orders for the order saga (run one `orderd saga` beside); every processor must agree")
      ->envname("ORDERLINE_SAGA")
      ->capture_default_str();
  add_log_level_flag(command, config.log_level);
  add_operator_http_flags(command, config.operator_http);
  add_kafka_statistics_flag(command, config.kafka_statistics_ms);
}

void add_projector_flags(CLI::App& command, ProjectorRoleConfig& config) {
  command.add_option("name", config.name, "Which projector: postgres")
      ->required()
      ->check(CLI::IsMember({"postgres"}));
  add_kafka_role_flags(command, config.event_log, config.data_dir, "Directory of the local index", config.partitions,
                       config.kafka_options);
  command.add_option("--pg", config.postgres_dsn, "PostgreSQL of the read models")->envname("ORDERLINE_PG")->required();
  add_on_poison_flag(command, config.on_poison, "the PostgreSQL read models", "a restart of the role retries it");
  add_log_level_flag(command, config.log_level);
  add_operator_http_flags(command, config.operator_http);
}

void add_saga_flags(CLI::App& command, SagaRoleConfig& config) {
  add_kafka_role_flags(command, config.event_log, config.data_dir,
                       "Directory of its checkpoints, time-outs, payment ledger and local index", config.partitions,
                       config.kafka_options);
  command.add_option("--reply-partition", config.reply_partition,
                     "Its partition of <prefix>.replies (unique: no gateway may use it)")
      ->envname("ORDERLINE_REPLY_PARTITION")
      ->capture_default_str();
  command.add_option("--reply-partitions", config.reply_partitions, "Partitions of <prefix>.replies when created")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--command-timeout-ms", config.command_timeout_ms,
                     "Deadline of a saga command; past it the same command is sent again")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  command.add_option("--session-timeout-ms", config.session_timeout_ms,
                     "Group session timeout: a dead saga's standby takes over after this")
      ->check(CLI::Range(1000, 300000))
      ->capture_default_str();
  add_saga_settings_flags(command, config.saga);
  add_log_level_flag(command, config.log_level);
  add_operator_http_flags(command, config.operator_http);
  add_kafka_statistics_flag(command, config.kafka_statistics_ms);
}

}  // namespace orderline::cli
