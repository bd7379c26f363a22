// orderd: the Orderline server. `orderd serve` runs the whole engine in one process on the
// embedded log and RocksDB read models.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/auth_setup.h"
#include "cli/demo_catalogue.h"
#include "cli/embedded_engine.h"
#include "cli/logging.h"
#include "cli/serve_config.h"
#include "gateway/server.h"
#include "observability/metrics.h"

namespace {

using namespace orderline;

// SIGTERM/SIGINT are blocked in every thread and taken here by sigwait, so shutdown runs
// on the main thread in a known order.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

int serve(const cli::ServeConfig& config) {
  cli::setup_logging(config.log_level, "orderd");
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  cli::EngineOptions options;
  options.data_dir = config.data_dir;
  options.partitions = config.partitions;
  options.bus.queue_capacity = config.queue_capacity;
  options.bus.max_batch = config.max_batch;
  options.postgres_dsn = config.postgres_dsn;
  // Built before the engine, whose parts report to it from their first command or batch.
  observability::Metrics metrics;
  if (config.metrics) {
    options.bus.observer = metrics.commands();
    options.projector_observer = metrics.projector();
    options.append_observer = metrics.appends();
  }
  cli::EmbeddedEngine engine(options);
  engine.start();
  metrics.set_sources({&engine.log(), [&engine] { return engine.bus().stats(); },
                       [&engine] { return engine.projector().stats(); }, cli::system_now_us});
  spdlog::info("event log at {}/log: {} partitions", config.data_dir, engine.log().partition_count());

  const bool empty_log = [&] {
    for (const auto& [p, offset] : engine.log_end().offsets) {
      if (offset != 0) return false;
    }
    return true;
  }();
  if (config.demo_catalogue && empty_log) {
    cli::seed_demo_catalogue(engine.bus());
    spdlog::info("seeded the demo catalogue");
  }
  if (!config.staff_account.empty()) {
    if (config.staff_password_file.empty()) throw std::runtime_error("--staff-account needs --staff-password-file");
    std::vector<std::string> roles;
    std::stringstream list(config.staff_roles);
    for (std::string role; std::getline(list, role, ',');) roles.push_back(role);
    cli::ensure_account(engine.bus(), config.staff_account, cli::read_first_line(config.staff_password_file), roles,
                        config.password_cost);
    spdlog::info("staff account {} is registered", config.staff_account);
  }
  if (!engine.wait_for_read_models(std::chrono::minutes(30))) {
    spdlog::error("read models did not catch up with the log");
    return 1;
  }

  gateway::GatewayConfig gateway_config;
  gateway_config.address = config.address;
  gateway_config.port = config.port;
  gateway_config.threads = config.http_threads;
  gateway_config.body_limit = config.body_limit;
  gateway_config.command_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  gateway_config.read_wait = std::chrono::milliseconds(config.read_wait_ms);
  gateway_config.admin_token = config.admin_token;
  gateway_config.access_tokens.secret = cli::load_or_create_secret(
      config.token_secret_file.empty() ? config.data_dir + "/auth/token-secret" : config.token_secret_file);
  gateway_config.access_tokens.ttl_s = config.access_token_ttl_s;
  gateway_config.refresh_ttl_s = config.refresh_token_ttl_s;
  gateway_config.password_cost = config.password_cost;
  gateway_config.password_threads = config.password_threads;
  gateway_config.login_limits.per_address_per_minute = config.login_per_address;
  gateway_config.login_limits.per_account_per_minute = config.login_per_account;
  gateway_config.login_limits.lockout_failures = config.lockout_failures;
  gateway_config.login_limits.lockout_s = config.lockout_seconds;
  gateway_config.cors_origins = config.cors_origins;
  gateway_config.customer_keys_path = config.data_dir + "/keys";
  if (!config.oidc_issuer.empty()) {
    if (config.oidc_jwks.empty()) throw std::runtime_error("--oidc-issuer needs --oidc-jwks");
    gateway_config.oidc.issuer = config.oidc_issuer;
    gateway_config.oidc.audience = config.oidc_audience;
    gateway_config.oidc.jwks = config.oidc_jwks;
    gateway_config.oidc.customer_claim = config.oidc_customer_claim;
    for (const auto& entry : config.oidc_roles) {
      const auto eq = entry.find('=');
      if (eq == std::string::npos || !auth::role_from_name(entry.substr(eq + 1))) {
        throw std::runtime_error("--oidc-role wants provider-role=customer|staff|ops|analyst|admin, not " + entry);
      }
      gateway_config.oidc.role_map.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  if (config.admin_token.empty()) spdlog::info("no --admin-token: no admin service token");

  gateway::Services services;
  services.bus = &engine.bus();
  services.read_models = &engine.read_models();
  services.log = &engine.log();
  services.readiness = [&engine] {
    auto health = engine.readiness();
    return gateway::Readiness{health.ready, std::move(health.reason), std::move(health.checks)};
  };
  if (config.metrics) {
    services.metrics = [&metrics] { return metrics.render(); };
    services.http_observer = metrics.http();
    services.auth_observer = metrics.auth();
  }
  gateway::Server server(gateway_config, services);
  server.start();

  if (!config.port_file.empty()) {
    // Written to a temporary name and renamed, so a reader never sees half a number.
    const std::string temporary = config.port_file + ".tmp";
    std::ofstream(temporary) << server.port() << "\n";
    std::rename(temporary.c_str(), config.port_file.c_str());
  }
  std::cout << "Orderline is listening on http://" << config.address << ":" << server.port() << "/" << std::endl;
  spdlog::info("listening on {}:{}", config.address, server.port());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: draining", signal_number);
  server.stop();   // no new requests; in-flight ones get their answers
  engine.stop();   // queued commands are committed before the workers exit
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderd: the Orderline order engine"};
  app.require_subcommand(1);
  cli::ServeConfig config;
  auto* serve_command = app.add_subcommand("serve", "Run the whole engine in one process (embedded log)");
  cli::add_serve_flags(*serve_command, config);
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve_command->parsed()) return serve(config);
  } catch (const std::exception& e) {
    std::cerr << "orderd: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
