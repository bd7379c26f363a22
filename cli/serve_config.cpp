#include "cli/serve_config.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>

#include "projections/projector.h"

namespace orderline::cli {

void add_serve_flags(CLI::App& command, ServeConfig& config) {
  command.add_option("--data-dir", config.data_dir, "Directory of the event log and read models")
      ->envname("ORDERLINE_DATA_DIR")
      ->capture_default_str();
  command.add_option("--address", config.address, "Listen address")->envname("ORDERLINE_ADDRESS")->capture_default_str();
  command.add_option("--port", config.port, "HTTP port (0: any free port)")->envname("ORDERLINE_PORT")->capture_default_str();
  command.add_option("--port-file", config.port_file, "Write the bound port to this file once ready");
  command.add_option("--partitions", config.partitions, "Partitions of a new log (fixed afterwards)")
      ->envname("ORDERLINE_PARTITIONS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--admin-token", config.admin_token,
                     "Admin service token: 'Authorization: Bearer <it>' may call every route")
      ->envname("ORDERLINE_ADMIN_TOKEN");
  command.add_option("--token-secret-file", config.token_secret_file,
                     "HMAC key of access tokens (at least 32 bytes); default <data-dir>/auth/token-secret, made once")
      ->envname("ORDERLINE_TOKEN_SECRET_FILE");
  command.add_option("--access-token-ttl", config.access_token_ttl_s, "Access token lifetime, seconds")
      ->check(CLI::Range(10, 86400))
      ->capture_default_str();
  command.add_option("--refresh-token-ttl", config.refresh_token_ttl_s, "Refresh token lifetime, seconds")
      ->check(CLI::Range(60, 366 * 86400))
      ->capture_default_str();
  command.add_option("--reset-token-ttl", config.reset_token_ttl_s, "Password-reset token lifetime, seconds")
      ->check(CLI::Range(60, 86400))
      ->capture_default_str();
  command.add_option("--password-cost", config.password_cost, "argon2id cost: interactive, moderate, min (tests only)")
      ->check(CLI::IsMember({"interactive", "moderate", "min"}))
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  command.add_option("--password-threads", config.password_threads, "argon2id worker threads (off the I/O threads)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  command.add_option("--login-per-address", config.login_per_address, "Login attempts per client address per minute")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  command.add_option("--login-per-account", config.login_per_account, "Login attempts per account per minute")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  command.add_option("--lockout-failures", config.lockout_failures, "Failed logins in a row that lock an account")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  command.add_option("--lockout-seconds", config.lockout_seconds, "How long a locked account stays locked")
      ->check(CLI::Range(1, 86400 * 7))
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  command.add_option("--cors-origin", config.cors_origins, "An Origin allowed by CORS (repeatable; '*' for any)")
      ->envname("ORDERLINE_CORS_ORIGINS")
      ->delimiter(',');
  command.add_option("--oidc-issuer", config.oidc_issuer, "Accept tokens of this OpenID Connect issuer")
      ->envname("ORDERLINE_OIDC_ISSUER");
  command.add_option("--oidc-audience", config.oidc_audience, "Audience its tokens must name")
      ->envname("ORDERLINE_OIDC_AUDIENCE");
  command.add_option("--oidc-jwks", config.oidc_jwks, "Its JWKS: a file or an http:// URL")->envname("ORDERLINE_OIDC_JWKS");
  command.add_option("--oidc-role", config.oidc_roles,
                     "Map a provider role (realm_access.roles) to ours: provider-role=customer|staff|ops|analyst|admin "
                     "(repeatable)")
      ->envname("ORDERLINE_OIDC_ROLES")
      ->delimiter(',');
  command.add_option("--oidc-customer-claim", config.oidc_customer_claim, "Claim holding our customer id")
      ->capture_default_str();
  command.add_option("--staff-account", config.staff_account, "Ensure this staff account (e-mail) exists at start");
  command.add_option("--staff-password-file", config.staff_password_file, "Password of --staff-account");
  command.add_option("--staff-roles", config.staff_roles, "Roles of --staff-account, comma-separated")
      ->capture_default_str();
  command.add_flag("--demo-catalogue,!--no-demo-catalogue", config.demo_catalogue,
                   "Seed a demo catalogue into an empty log")
      ->capture_default_str();
  command.add_option("--http-threads", config.http_threads, "Gateway I/O threads")->check(CLI::Range(1, 64))->capture_default_str();
  command.add_option("--queue-capacity", config.queue_capacity, "Commands queued per partition before 429")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  command.add_option("--max-batch", config.max_batch, "Commands per group commit")->check(CLI::Range(1, 65536))->capture_default_str();
  command.add_option("--snapshot-every", config.snapshot_every,
                     "Persist an aggregate's state every N events of its stream (embedded log; 0: never)")
      ->capture_default_str();
  command.add_option("--outcome-retention-hours", config.outcome_retention_h,
                     "Embedded log: hours a command's outcome (idempotent retries) is kept, at least 24")
      ->check(CLI::Range(24, 24 * 3650))
      ->capture_default_str();
  command.add_option("--body-limit", config.body_limit, "Largest request body in bytes")->capture_default_str();
  command.add_option("--command-timeout-ms", config.command_timeout_ms, "Deadline of a command")->capture_default_str();
  command.add_option("--read-wait-ms", config.read_wait_ms, "Longest wait of a query with after=")->capture_default_str();
  command.add_option("--pg", config.postgres_dsn,
                     "PostgreSQL for the SQL read models, e.g. postgresql://postgres@127.0.0.1:5432/orderline "
                     "(empty: none)")
      ->envname("ORDERLINE_PG");
  command.add_flag("--saga,!--no-saga", config.saga,
                   "Run the order saga: a placed order reserves its stock, is paid and confirmed by itself "
                   "(off: `pay` authorises and captures at once)")
      ->capture_default_str();
  add_saga_settings_flags(command, config);
  command.add_option("--event-log", config.event_log,
                     "Event log: empty for the embedded log in --data-dir, or "
                     "kafka://HOST:PORT[,HOST:PORT][?prefix=orderline&replication=N]")
      ->envname("ORDERLINE_EVENT_LOG");
  command.add_option("--kafka-option", config.kafka_options,
                     "librdkafka client setting NAME=VALUE for Kafka mode, e.g. security.protocol=SASL_SSL, "
                     "sasl.mechanisms=SCRAM-SHA-512 (repeatable)");
  command.add_option("--ws-allowed-origin", config.ws_allowed_origins,
                     "Origin allowed to open WebSocket streams besides the server's own (repeatable; * for any)")
      ->envname("ORDERLINE_WS_ALLOWED_ORIGINS")
      ->delimiter(',');
  command.add_option("--ws-max-connections", config.ws_max_connections, "Open WebSocket connections at most")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  command.add_option("--ws-queue-limit", config.ws_queue_limit,
                     "Frames waiting per WebSocket connection before a slow consumer is cut off")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  command.add_option("--ws-send-buffer", config.ws_send_buffer,
                     "Socket send buffer of a WebSocket connection in bytes (0: the kernel's autotuning)")
      ->check(CLI::Range(0, 64 << 20))
      ->capture_default_str();
  command.add_option("--ws-idle-timeout", config.ws_idle_timeout_s,
                     "Seconds without traffic before a WebSocket is closed (a ping goes out at half of it)")
      ->check(CLI::Range(2, 3600))
      ->capture_default_str();
  command.add_option("--ws-replay-limit", config.ws_replay_limit, "Events one WebSocket resume may replay")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  command.add_flag("--metrics,!--no-metrics", config.metrics,
                   "Export GET /metrics (off: no metric is recorded; for measuring their cost)")
      ->capture_default_str();
  add_kafka_statistics_flag(command, config.kafka_statistics_ms);
  add_on_poison_flag(command, config.on_poison, "a projection (RocksDB, or the PostgreSQL read models)",
                     "resume retries it");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->envname("ORDERLINE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

void add_on_poison_flag(CLI::App& command, std::string& on_poison, const std::string& projections,
                        const std::string& retry) {
  command.add_option("--on-poison", on_poison,
                     "An event " + projections + " cannot fold after retries: park it as a dead letter and go on, "
                     "or stop that projection on it (" + retry + ")")
      ->check(CLI::IsMember({"park", "stop"}))
      ->envname("ORDERLINE_ON_POISON")
      ->capture_default_str();
}

projections::PoisonPolicy poison_policy(const std::string& on_poison) {
  return on_poison == "stop" ? projections::PoisonPolicy::stop : projections::PoisonPolicy::park;
}

void add_kafka_statistics_flag(CLI::App& command, int& milliseconds) {
  command.add_option("--kafka-statistics-ms", milliseconds,
                     "Period of librdkafka's statistics behind the Kafka client metrics (0: off; Kafka mode)")
      ->check(CLI::Range(0, 86'400'000))
      ->capture_default_str();
}

void write_port_file(const std::string& path, std::uint16_t port) {
  if (path.empty()) return;
  const std::string temporary = path + ".tmp";
  std::ofstream(temporary) << port << "\n";
  std::rename(temporary.c_str(), path.c_str());
}

}  // namespace orderline::cli
