#include "cli/operator_http.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>

#include "cli/auth_setup.h"
#include "cli/serve_config.h"

namespace orderline::cli {

void add_operator_http_flags(CLI::App& command, OperatorHttpConfig& config) {
  command.add_option("--metrics-listen", config.listen,
                     "HOST:PORT of /healthz, /readyz and /metrics (port 0: any free port, see --port-file)")
      ->envname("ORDERLINE_METRICS_LISTEN")
      ->capture_default_str();
  command.add_option("--port-file", config.port_file, "Write the bound operator port to this file once listening");
  command.add_flag("--metrics,!--no-metrics", config.metrics,
                   "Export GET /metrics (off: no metric is recorded; for measuring their cost)")
      ->capture_default_str();
  command.add_option("--admin-token", config.admin_token,
                     "Admin service token: 'Authorization: Bearer <it>' may change the log level")
      ->envname("ORDERLINE_ADMIN_TOKEN");
  command.add_option("--token-secret-file", config.token_secret_file,
                     "The gateways' access-token key: their ops and admin tokens may change the log level")
      ->envname("ORDERLINE_TOKEN_SECRET_FILE");
}

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& listen) {
  const auto colon = listen.rfind(':');
  unsigned port = 0;
  const char* first = listen.data() + (colon == std::string::npos ? 0 : colon + 1);
  const char* last = listen.data() + listen.size();
  const auto [end, ec] = std::from_chars(first, last, port);
  if (colon == std::string::npos || colon == 0 || first == last || ec != std::errc() || end != last || port > 65535) {
    throw std::runtime_error("--metrics-listen: expected HOST:PORT (e.g. 127.0.0.1:9464), got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  // [::1]:9464
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, static_cast<std::uint16_t>(port)};
}

OperatorHttp::OperatorHttp(const OperatorHttpConfig& config, std::function<gateway::Readiness()> readiness,
                           std::function<std::string()> metrics)
    : port_file_(config.port_file) {
  const auto [host, port] = parse_listen_address(config.listen);
  gateway::GatewayConfig gateway_config;
  gateway_config.address = host;
  gateway_config.port = port;
  gateway_config.threads = 1;  // a scrape and a probe now and then
  gateway_config.max_connections = 64;
  gateway_config.max_streams = 0;
  gateway_config.operator_only = true;
  gateway_config.admin_token = config.admin_token;
  // Only read, never made: a secret of its own would verify no gateway's token. (Unset, the
  // server draws a random one, which verifies nothing it did not sign; it signs nothing.)
  if (!config.token_secret_file.empty()) gateway_config.access_tokens.secret = read_first_line(config.token_secret_file);
  gateway::Services services;
  services.readiness = std::move(readiness);
  services.metrics = std::move(metrics);
  server_ = std::make_unique<gateway::Server>(std::move(gateway_config), std::move(services));
}

OperatorHttp::~OperatorHttp() { stop(); }

std::uint16_t OperatorHttp::start() {
  server_->start();
  write_port_file(port_file_, server_->port());
  spdlog::info("operator endpoints (/healthz, /readyz, /metrics, /api/v1/admin/log-level) on port {}", server_->port());
  return server_->port();
}

void OperatorHttp::stop() { server_->stop(); }

}  // namespace orderline::cli
