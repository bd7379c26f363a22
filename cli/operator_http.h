#pragma once
// The operator port of the roles that serve no API (`orderd processor`, `orderd projector`):
// GET /healthz, /readyz (JSON, with the reason when not ready), /metrics and
// PUT /api/v1/admin/log-level, served by the gateway's own HTTP server with every other API
// route switched off (GatewayConfig::operator_only), so there is one HTTP implementation to
// harden, one /readyz format and one access rule: the log level wants a bearer token of role
// ops or admin, as on `orderd serve` -- the --admin-token, or a staff token the gateways issued
// when --token-secret-file names their secret.
//
//   OperatorHttp http(config.operator_http, [&] { return readiness(); }, [&] { return metrics.render(); });
//   http.start();   // binds, writes the port file
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/server.h"

namespace CLI {
class App;
}

namespace orderline::cli {

struct OperatorHttpConfig {
  // HOST:PORT of the operator endpoints; loopback by default (Prometheus runs beside, or is
  // given a reachable address on purpose). Port 0: any free port, written to port_file.
  std::string listen = "127.0.0.1:0";
  std::string port_file;  // if set, the bound port is written here once listening
  bool metrics = true;    // off: nothing is recorded and /metrics answers 404 (measures their cost)
  // Who may change the log level. Neither set: nobody (401 on every call).
  std::string admin_token;        // a service token: "Authorization: Bearer <it>" is admin
  std::string token_secret_file;  // HMAC key of the gateways' access tokens (their --token-secret-file)
};

// --metrics-listen, --port-file, --metrics/--no-metrics, --admin-token, --token-secret-file.
void add_operator_http_flags(CLI::App& command, OperatorHttpConfig& config);

// "host:port" -> (host, port); throws std::runtime_error naming the flag when it is not one.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& listen);

class OperatorHttp {
 public:
  // `metrics` empty: /metrics answers 404.
  OperatorHttp(const OperatorHttpConfig& config, std::function<gateway::Readiness()> readiness,
               std::function<std::string()> metrics);
  ~OperatorHttp();
  // Binds (throws when the address is taken), writes the port file, returns the port.
  std::uint16_t start();
  void stop();

 private:
  std::string port_file_;
  std::unique_ptr<gateway::Server> server_;
};

}  // namespace orderline::cli
