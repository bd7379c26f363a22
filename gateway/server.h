#pragma once
// The HTTP/1.1 gateway (Boost.Beast): routes of the v1 API, problem+json errors,
// health endpoints, /metrics. Commands go to the CommandBus, queries to the read models.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands/command_bus.h"
#include "eventstore/event_log.h"
#include "gateway/auth/failure.h"
#include "gateway/auth/login_limiter.h"
#include "gateway/auth/token_verifier.h"
#include "gateway/http_observer.h"
#include "projections/order_search.h"
#include "projections/projection_operations.h"
#include "gateway/stream_observer.h"
#include "projections/read_models.h"

namespace orderline::auth {
class CustomerKeys;
class ResetTokenSender;  // gateway/auth/reset_tokens.h
}

namespace orderline::projections {
class RecommendationQueries;  // projections/recommendation_queries.h
}

namespace orderline::gateway {

class StreamHub;

struct GatewayConfig {
  std::string address = "127.0.0.1";  // listen address
  std::uint16_t port = 8080;          // 0: any free port (see Server::port())
  int threads = 2;                    // I/O threads
  std::size_t body_limit = 64 * 1024;             // larger bodies get 413 payload_too_large
  std::chrono::seconds idle_timeout{30};          // keep-alive / read timeout per request
  std::chrono::milliseconds command_timeout{5000};  // deadline given to each command
  std::chrono::milliseconds read_wait{2000};  // how long a query with after=TOKEN may wait
  std::size_t max_connections = 4096;         // beyond: 503 and close
  // WebSocket live updates (/api/v1/stream, docs/streaming.md).
  std::vector<std::string> allowed_origins;  // Origins allowed besides same-origin; "*": any
  std::size_t max_streams = 10000;           // open WebSocket connections (beside max_connections)
  std::size_t stream_queue_limit = 1024;     // frames waiting per connection; beyond: cut off
  // SO_SNDBUF of a stream's socket (0: the kernel's autotuning, up to tcp_wmem's max, 4 MiB on
  // Linux): bounds what a client that stops reading pins in the kernel and lets the queue limit
  // notice it sooner.
  int stream_send_buffer = 256 * 1024;
  std::chrono::seconds stream_idle_timeout{60};  // ping after half of it idle; close after all of it
  std::size_t stream_replay_limit = 10000;       // events one resume (`from`) may read
  // A service token: "Authorization: Bearer <it>" is an admin principal (scripts, ops tools).
  std::string admin_token;

  // Authentication and authorisation (issue 6; docs/security.md).
  // Our access tokens. An empty secret gets a random one per process: tokens then die with it.
  auth::AccessTokenConfig access_tokens;
  auth::OidcConfig oidc;                  // an OpenID Connect provider's tokens; issuer empty: off
  auth::LimiterConfig login_limits;       // rate limits and lockout of /auth/login
  std::string password_cost = "interactive";  // argon2id preset: interactive, moderate, min (tests)
  int password_threads = 1;               // argon2id workers (off the I/O threads)
  std::size_t password_queue = 64;        // hashing jobs waiting beyond: 503
  std::int64_t refresh_ttl_s = 30 * 24 * 3600;  // refresh token lifetime (rotated on each use)
  std::int64_t reset_ttl_s = 900;         // password-reset token lifetime (single use)
  // Where the built-in sender appends password-reset tokens (development only: see
  // auth/reset_tokens.h). Empty, and no Services::reset_sender: reset requests answer 503.
  std::string reset_token_file;
  // RocksDB of the per-customer personal-data keys. Empty: routes that store personal data
  // (register, POST /customers) answer 503 not_configured.
  std::string customer_keys_path;
  // Origins allowed by CORS (exact "https://shop.example.com", or "*"). Empty: no CORS headers.
  std::vector<std::string> cors_origins;

  // Only /healthz, /readyz, /metrics and PUT /api/v1/admin/log-level; every other path is 404.
  // The operator port of the roles without the API (`orderd processor`, `orderd projector`):
  // same server, same access rules, no API.
  bool operator_only = false;
};

// Readiness of the engine's parts, for /readyz.
struct Readiness {
  Readiness() = default;
  // A constructor (not aggregate initialisation), so callers may leave `checks` out.
  Readiness(bool ready_, std::string reason_, std::vector<std::pair<std::string, std::string>> checks_ = {})
      : ready(ready_), reason(std::move(reason_)), checks(std::move(checks_)) {}

  bool ready = true;
  std::string reason;  // why not, when not ready (the failing checks, one line)
  // Every check by name, "ok" or why not, e.g. {"event_log","ok"}, {"read_models","12 events
  // behind"}: /readyz shows them all, so an operator sees each part, not only the first failure.
  std::vector<std::pair<std::string, std::string>> checks;
};

// What POST /api/v1/admin/backup reports (the engine takes the backup; see cli/backup_service.h).
struct BackupReport {
  enum class Status { ok, invalid_dir, failed };
  Status status = Status::failed;
  std::string detail;         // why not, when not ok
  std::string dir;            // where the backup is
  std::string log_end;        // position token: the log's end in the backup
  std::uint64_t events = 0;   // events in the backup's log
  std::uint64_t duration_ms = 0;  // how long it took
};

struct Services {
  commands::CommandBus* bus = nullptr;
  const projections::ReadModels* read_models = nullptr;
  const eventstore::EventLog* log = nullptr;
  std::function<Readiness()> readiness;  // optional; ready when absent
  // GET /metrics: the Prometheus text exposition, rendered at scrape time. Optional; without
  // it /metrics answers 404 not_found.
  std::function<std::string()> metrics;
  HttpObserver* http_observer = nullptr;  // optional; told of every answered request
  // Staff order search (PostgreSQL). Optional; without it the search routes answer 503.
  projections::OrderSearch* order_search = nullptr;
  // The projection registry and its operations. Optional; without it those routes answer 503.
  projections::ProjectionOperations* projections = nullptr;
  // Online backup into a directory of the server's machine. Starts it and returns true, then
  // calls `done` from another thread; false (and no call) when a backup is already running.
  // Optional; without it POST /api/v1/admin/backup answers 503.
  std::function<bool(const std::string& dir, std::function<void(BackupReport)> done)> backup;
  // Live order updates over WebSocket; without it /api/v1/stream answers 503.
  StreamHub* stream_hub = nullptr;
  // Recommendations (issue 9). Optional; without it the recommendation routes answer 503.
  const projections::RecommendationQueries* recommendations = nullptr;
  StreamObserver* stream_observer = nullptr;  // optional
  auth::AuthObserver* auth_observer = nullptr;  // optional; told of every refused authentication
  // The customer key store, when the caller owns it (orderd serve: its backups checkpoint it).
  // Optional; without it the gateway opens GatewayConfig::customer_keys_path itself.
  auth::CustomerKeys* customer_keys = nullptr;
  std::function<std::int64_t()> now_s;  // clock of token times and limits; default: the wall clock
  // Hands password-reset tokens to their owners (e-mail, SMS). Optional; without it the
  // gateway appends them to GatewayConfig::reset_token_file.
  auth::ResetTokenSender* reset_sender = nullptr;
};

class Server {
 public:
  Server(GatewayConfig config, Services services);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads; throws std::runtime_error when the address is taken.
  void start();
  // Stops accepting, lets in-flight requests finish (bounded), joins the threads.
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderline::gateway
