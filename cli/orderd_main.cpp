// orderd: the Orderline server. `orderd serve` runs the whole engine in one process on the
// embedded log and RocksDB read models.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/backup_service.h"
#include "cli/auth_setup.h"
#include "cli/demo_catalogue.h"
#include "cli/embedded_engine.h"
#include "cli/kafka_config.h"
#include "cli/logging.h"
#include "cli/roles.h"
#include "cli/serve_config.h"
#include "cli/stream_setup.h"
#include "gateway/auth/personal_data.h"
#include "gateway/server.h"
#include "gateway/stream_hub.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "observability/metrics.h"
#include "projections/recommendation_queries.h"

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
  cli::raise_open_file_limit();
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Fed by the projector, so it is built before the engine; WebSocket connections follow it.
  gateway::StreamHub stream_hub;
  cli::EngineOptions options;
  options.order_feed = &stream_hub;
  options.data_dir = config.data_dir;
  options.partitions = config.partitions;
  options.bus.queue_capacity = config.queue_capacity;
  options.bus.max_batch = config.max_batch;
  options.bus.processor.snapshot_every = config.snapshot_every;
  options.outcome_retention = std::chrono::hours(config.outcome_retention_h);
  options.postgres_dsn = config.postgres_dsn;
  options.on_poison = cli::poison_policy(config.on_poison);
  // The saga's runner keeps its checkpoints and timers per process: sound here on either log,
  // since `orderd serve` is the only writer of every partition (on Kafka, a second one on the
  // same prefix fences the first). The distributed deployment runs it as `orderd saga`.
  options.saga = cli::saga_config(config);
  options.saga.enabled = config.saga;
  if (!config.event_log.empty()) options.kafka = cli::kafka_log_options(config.event_log, config.kafka_options);
  // Built before the engine, whose parts report to it from their first command or batch.
  observability::Metrics metrics;
  if (config.metrics) {
    options.bus.observer = metrics.commands();
    options.projector_observer = metrics.projector();
    options.append_observer = metrics.appends();
    options.postgres_observer = metrics.pg_projector();
    options.saga.observer = metrics.saga();
    if (options.kafka) {
      options.kafka->statistics_interval = std::chrono::milliseconds(config.kafka_statistics_ms);
      eventstore::set_kafka_statistics_observer(metrics.kafka_statistics());
    }
  }
  cli::EmbeddedEngine engine(options);
  engine.start();
  metrics.set_sources({&engine.log(), [&engine] { return engine.bus().stats(); },
                       [&engine] { return engine.projection_stats(); }, cli::system_now_us});
  if (config.metrics && engine.saga()) metrics.set_saga_source([&engine] { return engine.saga()->stats(); });
  if (const auto* kafka = dynamic_cast<const eventstore::KafkaEventLog*>(&engine.log()); kafka && config.metrics) {
    metrics.set_kafka_transactions_source([kafka] { return kafka->transaction_counts(); });
  }
  spdlog::info("event log {}: {} partitions",
               config.event_log.empty() ? config.data_dir + "/log" : config.event_log, engine.log().partition_count());

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
  cli::ensure_staff_account(engine.bus(), config);
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
  cli::configure_gateway_streams(config, gateway_config);
  cli::configure_gateway_auth(config, gateway_config);
  // Opened here rather than by the gateway, so online backups can checkpoint it too.
  auth::CustomerKeys customer_keys(gateway_config.customer_keys_path);

  gateway::Services services;
  services.customer_keys = &customer_keys;
  services.bus = &engine.bus();
  services.read_models = &engine.read_models();
  services.log = &engine.log();
  services.order_search = engine.order_search();
  services.projections = &engine.projection_operations();
  services.stream_hub = &stream_hub;
  projections::RecommendationQueries recommendations(engine.read_models());
  services.recommendations = &recommendations;
  services.readiness = [&engine] {
    auto health = engine.readiness();
    return gateway::Readiness{health.ready, std::move(health.reason), std::move(health.checks)};
  };
  cli::BackupService backups(engine, config.data_dir, &customer_keys);
  services.backup = [&backups](const std::string& dir, std::function<void(gateway::BackupReport)> done) {
    return backups.start(dir, std::move(done));
  };
  if (config.metrics) {
    services.metrics = [&metrics] { return metrics.render(); };
    services.http_observer = metrics.http();
    services.stream_observer = metrics.streams();
    services.auth_observer = metrics.auth();
  }
  gateway::Server server(gateway_config, services);
  server.start();

  cli::write_port_file(config.port_file, server.port());
  std::cout << "Orderline is listening on http://" << config.address << ":" << server.port() << "/" << std::endl;
  spdlog::info("listening on {}:{}", config.address, server.port());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: draining", signal_number);
  backups.wait();  // a running backup finishes and answers first
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
  auto* serve_command = app.add_subcommand("serve", "Run the whole engine in one process (embedded log, or --event-log kafka://...)");
  cli::add_serve_flags(*serve_command, config);
  // The distributed deployment's roles (Kafka only).
  cli::GatewayRoleConfig gateway_config;
  auto* gateway_command = app.add_subcommand("gateway", "HTTP API; commands over Kafka; RocksDB read models");
  cli::add_gateway_flags(*gateway_command, gateway_config);
  cli::ProcessorRoleConfig processor_config;
  auto* processor_command = app.add_subcommand("processor", "Command processor: a member of the commands group");
  cli::add_processor_flags(*processor_command, processor_config);
  cli::ProjectorRoleConfig projector_config;
  auto* projector_command = app.add_subcommand("projector", "A read-model projector alone (postgres)");
  cli::add_projector_flags(*projector_command, projector_config);
  cli::SagaRoleConfig saga_role_config;
  auto* saga_command = app.add_subcommand("saga", "The order saga alone (exactly one per deployment)");
  cli::add_saga_flags(*saga_command, saga_role_config);
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve_command->parsed()) return serve(config);
    if (gateway_command->parsed()) return cli::run_gateway(gateway_config);
    if (processor_command->parsed()) return cli::run_processor(processor_config);
    if (projector_command->parsed()) return cli::run_projector(projector_config);
    if (saga_command->parsed()) return cli::run_saga(saga_role_config);
  } catch (const std::exception& e) {
    std::cerr << "orderd: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
