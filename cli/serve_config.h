#pragma once
// Every setting of `orderd serve`, documented and defaulted in one place. Flags override
// environment variables (ORDERLINE_*), which override the defaults.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/saga_settings.h"

namespace CLI {
class App;
}

namespace orderline::projections {
enum class PoisonPolicy;  // projections/projector.h
}

namespace orderline::cli {

// The saga's payment and time-out settings come from SagaSettings (shared with `orderd saga`).
struct ServeConfig : SagaSettings {
  std::string data_dir = "./data";   // holds log/ (event log) and readmodels/ (read models)
  std::string address = "127.0.0.1";  // listen address of the HTTP gateway
  std::uint16_t port = 8080;          // 0: any free port (see port_file)
  std::string port_file;              // if set, the bound port is written here once ready
  std::uint32_t partitions = 8;       // fixed when the log is created
  std::string admin_token;            // staff token (ORDERLINE_ADMIN_TOKEN); empty: admin routes refuse
  bool demo_catalogue = true;         // seed a demo catalogue into an empty log
  int http_threads = 2;               // gateway I/O threads
  std::size_t queue_capacity = 4096;  // commands queued per partition before 429
  std::size_t max_batch = 512;        // commands per group commit
  std::uint64_t snapshot_every = 1000;  // a persisted aggregate snapshot every N events of a stream; 0: none
  int outcome_retention_h = 7 * 24;   // embedded log: command outcomes kept this many hours (>= 24)
  std::size_t body_limit = 64 * 1024; // request bodies above get 413
  int command_timeout_ms = 5000;      // a command's deadline; then 504 outcome_unknown
  int read_wait_ms = 2000;            // how long a query with after=TOKEN may wait
  std::string log_level = "info";     // trace, debug, info, warn, error
  bool metrics = true;                // GET /metrics; off only to measure what metrics cost
  int kafka_statistics_ms = 5000;     // librdkafka statistics period (Kafka metrics); 0: off
  std::string postgres_dsn;           // --pg / ORDERLINE_PG: PostgreSQL read models; empty: none
  std::string on_poison = "park";     // a projection's unfoldable event (RocksDB or PostgreSQL): park (dead letter) or stop
  bool saga = true;                   // the order saga: reserve stock, authorise payment, confirm
  // --event-log / ORDERLINE_EVENT_LOG: empty runs the embedded log in data_dir; or
  // kafka://HOST:PORT[,...][?prefix=P&replication=N] (see eventstore/kafka/kafka_url.h).
  std::string event_log;
  // --kafka-option NAME=VALUE (repeatable): librdkafka settings for every Kafka client (TLS, SASL).
  std::vector<std::string> kafka_options;
  // WebSocket live updates (/api/v1/stream)
  std::vector<std::string> ws_allowed_origins;  // Origins allowed besides same-origin; "*": any
  std::size_t ws_max_connections = 10000;       // open WebSocket connections
  std::size_t ws_queue_limit = 1024;            // frames waiting per connection before it is cut off
  int ws_send_buffer = 256 * 1024;              // SO_SNDBUF of WebSocket sockets; 0: kernel autotuning
  int ws_idle_timeout_s = 60;                   // ping after half of it without traffic; close after it
  std::size_t ws_replay_limit = 10000;          // events one resume ("from") may read

  // Authentication (issue 6; docs/security.md).
  std::string token_secret_file;      // HMAC key of access tokens; empty: <data-dir>/auth/token-secret (made once)
  std::int64_t access_token_ttl_s = 900;
  std::int64_t refresh_token_ttl_s = 30 * 24 * 3600;
  std::int64_t reset_token_ttl_s = 900;  // password-reset tokens (single use)
  std::string password_cost = "interactive";  // argon2id preset: interactive, moderate, min (tests only)
  int password_threads = 1;           // argon2id workers, off the gateway's I/O threads
  int login_per_address = 30;         // login attempts per address per minute
  int login_per_account = 10;         // login attempts per account per minute
  int lockout_failures = 5;           // failed logins in a row that lock an account
  int lockout_seconds = 900;
  std::vector<std::string> cors_origins;  // allowed Origins ("*": any); none: no CORS headers
  std::string oidc_issuer;            // accept this OpenID Connect provider's tokens; empty: off
  std::string oidc_audience;          // required "aud" of its tokens
  std::string oidc_jwks;              // its JWKS: a file or an http:// URL
  std::vector<std::string> oidc_roles;  // "provider-role=our-role", e.g. "shop-staff=staff"
  std::string oidc_customer_claim = "customer_id";
  std::string staff_account;          // ensure this staff account exists at start (e-mail) ...
  std::string staff_password_file;    // ... with the password in this file
  std::string staff_roles = "staff,ops";  // ... and these roles
};

// Registers the flags of `serve` on a CLI11 subcommand, with environment fallbacks.
void add_serve_flags(CLI::App& command, ServeConfig& config);

// --port-file: the bound port, written to a temporary name and renamed, so a reader (a test, a
// supervisor) never sees half a number. Does nothing for an empty path.
void write_port_file(const std::string& path, std::uint16_t port);
// --kafka-statistics-ms, for every role that runs Kafka clients.
void add_kafka_statistics_flag(CLI::App& command, int& milliseconds);
// --on-poison park|stop, for every role that folds projections (serve, projector): one flag, one
// meaning. `projections` names what it applies to, `retry` how a stopped one tries again.
void add_on_poison_flag(CLI::App& command, std::string& on_poison, const std::string& projections,
                        const std::string& retry);
projections::PoisonPolicy poison_policy(const std::string& on_poison);  // of a checked --on-poison

}  // namespace orderline::cli
