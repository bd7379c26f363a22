#include "cli/roles.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/auth_setup.h"
#include "cli/demo_catalogue.h"
#include "cli/embedded_engine.h"
#include "cli/kafka_config.h"
#include "cli/logging.h"
#include "commands/kafka/kafka_command_bus.h"
#include "commands/kafka/kafka_processor.h"
#include "eventstore/kafka/group_membership.h"
#include "gateway/server.h"
#include "observability/metrics.h"
#include "projections/postgres/postgres_projector.h"
#include "projections/projector.h"
#include "projections/read_model_store.h"
#include "projections/standard_projections.h"
#include "projections/recommendation_queries.h"

namespace orderline::cli {
namespace {

// SIGTERM/SIGINT are blocked in every thread (set before any is started) and taken by
// sigwait, so shutdown runs in a known order.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

eventstore::KafkaLogOptions log_options(const std::string& url, const std::vector<std::string>& client_options,
                                        const std::string& data_dir, std::uint32_t partitions) {
  if (url.empty()) throw std::runtime_error("--event-log kafka://HOST:PORT is required for this role");
  auto options = kafka_log_options(url, client_options);
  options.partitions = partitions;
  std::filesystem::create_directories(data_dir);
  options.state_dir = data_dir + "/kafka-index";
  return options;
}

}  // namespace

int run_gateway(const GatewayRoleConfig& role) {
  const auto& config = role.http;
  setup_logging(config.log_level, "gateway");
  const sigset_t signals = block_shutdown_signals();

  auto kafka = log_options(config.event_log, config.kafka_options, config.data_dir, config.partitions);
  kafka.read_only = true;  // processors write; a gateway must fence none of them
  eventstore::KafkaEventLog log(kafka);

  observability::Metrics metrics;
  projections::ReadModelStoreOptions store_options;
  store_options.path = config.data_dir + "/readmodels";
  store_options.partitions = log.partition_count();
  projections::ReadModelStore store(store_options);
  projections::ProjectorOptions projector_options;
  if (config.metrics) projector_options.observer = metrics.projector();
  projections::Projector projector(log, store, projections::standard_projections(), projector_options);
  projector.start();

  commands::KafkaBusOptions bus_options;
  bus_options.kafka = kafka;
  bus_options.reply_partition = role.reply_partition;
  bus_options.reply_partitions = role.reply_partitions;
  bus_options.default_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  commands::KafkaCommandBus bus(bus_options);
  metrics.set_sources({&log, {}, [&projector] { return projector.stats(); }, system_now_us});
  spdlog::info("gateway on {}: {} partitions, reply partition {}", config.event_log, log.partition_count(),
               role.reply_partition);

  if (config.demo_catalogue) {
    bool empty = true;
    for (std::uint32_t p = 0; p < log.partition_count(); ++p) empty = empty && log.end_offset(p) == 0;
    // Needs a processor that owns the partitions; one that is still joining its group answers
    // after the deadline, so the seed (deterministic command ids: a retry changes nothing) is
    // tried again for about a minute before the gateway gives up.
    for (int attempt = 1; empty; ++attempt) {
      try {
        cli::seed_demo_catalogue(bus);
        spdlog::info("seeded the demo catalogue");
        break;
      } catch (const std::runtime_error& e) {
        if (attempt * config.command_timeout_ms >= 60'000) throw;
        spdlog::warn("seeding the demo catalogue: {} (is a processor running?); trying again", e.what());
      }
    }
  }

  // The staff account of --staff-account, through the processors like the catalogue above.
  for (int attempt = 1;; ++attempt) {
    try {
      cli::ensure_staff_account(bus, config);
      break;
    } catch (const std::runtime_error& e) {
      if (config.staff_account.empty() || attempt * config.command_timeout_ms >= 60'000) throw;
      spdlog::warn("registering the staff account: {} (is a processor running?); trying again", e.what());
    }
  }

  gateway::GatewayConfig gateway_config;
  gateway_config.address = config.address;
  gateway_config.port = config.port;
  gateway_config.threads = config.http_threads;
  gateway_config.body_limit = config.body_limit;
  gateway_config.command_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  gateway_config.read_wait = std::chrono::milliseconds(config.read_wait_ms);
  gateway_config.admin_token = config.admin_token;
  cli::configure_gateway_auth(config, gateway_config);

  gateway::Services services;
  services.bus = &bus;
  services.read_models = &store;
  services.log = &log;
  projections::RecommendationQueries recommendations(store);
  services.recommendations = &recommendations;
  // The read models' lag is the check: the gateway has no cheap probe of the brokers that
  // would answer faster than its request timeout.
  services.readiness = [&log, &store] {
    std::vector<std::pair<std::string, std::string>> checks;
    bool ready = true;
    std::string reason;
    std::uint64_t lag = 0;
    const auto applied = store.checkpoints();
    for (std::uint32_t p = 0; p < log.partition_count(); ++p) {
      const auto end = log.end_offset(p);
      const auto done = applied.offsets.count(p) ? applied.offsets.at(p) : 0;
      lag += end > done ? end - done : 0;
    }
    if (lag > 100'000) {
      ready = false;
      reason = "read models are " + std::to_string(lag) + " offsets behind the log";
      checks.emplace_back("read_models", std::to_string(lag) + " offsets behind");
    } else {
      checks.emplace_back("read_models", "ok");
    }
    return gateway::Readiness{ready, reason, checks};
  };
  if (config.metrics) {
    services.metrics = [&metrics] { return metrics.render(); };
    services.http_observer = metrics.http();
    services.auth_observer = metrics.auth();
  }
  gateway::Server server(gateway_config, services);
  server.start();
  write_port_file(config.port_file, server.port());
  std::cout << "Orderline gateway is listening on http://" << config.address << ":" << server.port() << "/" << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  server.stop();
  projector.stop();
  return 0;
}

int run_processor(const ProcessorRoleConfig& config) {
  setup_logging(config.log_level, "processor");
  const sigset_t signals = block_shutdown_signals();

  auto kafka = log_options(config.event_log, config.kafka_options, config.data_dir, config.partitions);
  // Stable per instance: a restart fences its own zombie (DESIGN rule 2).
  kafka.transactional_id = kafka.topic_prefix + ".processor." + config.instance_id;
  eventstore::KafkaEventLog log(kafka);

  // The catalogue and customer read models the command handlers consult (DESIGN rule 7),
  // fed from every partition of the events topic.
  projections::ReadModelStoreOptions store_options;
  store_options.path = config.data_dir + "/readmodels";
  store_options.partitions = log.partition_count();
  projections::ReadModelStore store(store_options);
  projections::Projector projector(log, store, projections::standard_projections());
  projector.start();

  commands::KafkaProcessorOptions options;
  options.kafka = kafka;
  options.max_batch = config.max_batch;
  options.session_timeout = std::chrono::milliseconds(config.session_timeout_ms);
  // A product or customer another processor wrote a moment ago may be in neither the read
  // models nor this processor's index yet: on a miss, catch the index up and ask once more,
  // so "register, then order at once" works as in the embedded mode.
  auto lookups = engine_lookups(store, log);
  lookups.catalogue = [catalogue = lookups.catalogue, &log](std::string_view sku) {
    auto found = catalogue(sku);
    if (!found && log.restore()) found = catalogue(sku);
    return found;
  };
  lookups.customer_exists = [exists = lookups.customer_exists, &log](std::string_view id) {
    return exists(id) || (log.restore() && exists(id));
  };
  commands::KafkaProcessor processor(log, std::move(lookups), options);

  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("signal {}: stopping", signal_number);
    processor.stop();
  });
  spdlog::info("processor {} on {}: {} partitions", config.instance_id, config.event_log, log.partition_count());
  std::cout << "Orderline processor " << config.instance_id << " is running" << std::endl;
  processor.run();
  const auto fatal = processor.fatal();
  // Wakes the signal thread when run() ended by itself (fenced).
  ::kill(::getpid(), SIGTERM);
  signal_thread.join();
  projector.stop();
  if (!fatal.empty()) {
    spdlog::error("processor stopped: {}", fatal);
    return 2;
  }
  return 0;
}

int run_projector(const ProjectorRoleConfig& config) {
  setup_logging(config.log_level, "projector");
  const sigset_t signals = block_shutdown_signals();
  auto kafka = log_options(config.event_log, config.kafka_options, config.data_dir, config.partitions);
  kafka.read_only = true;
  eventstore::KafkaEventLog log(kafka);
  // The instances of one projector form a consumer group on the events topic that only
  // splits the partitions between them; each folds its own partitions, and the checkpoints'
  // compare-and-set in PostgreSQL keeps a hand-over from applying a batch twice.
  // One group per (projector, database): projectors into other databases fold everything.
  std::uint64_t dsn_hash = 14695981039346656037ull;
  for (unsigned char c : config.postgres_dsn) dsn_hash = (dsn_hash ^ c) * 1099511628211ull;
  const auto group_id = fmt::format("{}.projector.{}.{:016x}", kafka.topic_prefix, config.name, dsn_hash);
  eventstore::GroupMembership group(kafka, log.events_topic(), group_id);
  projections::pg::PostgresProjectorOptions options;
  options.dsn = config.postgres_dsn;
  options.reload_on_fence = true;
  std::unique_ptr<projections::pg::PostgresProjector> projector;
  spdlog::info("projector {} on {} into PostgreSQL", config.name, config.event_log);
  std::cout << "Orderline projector " << config.name << " is running" << std::endl;

  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("signal {}: stopping", signal_number);
    stopping.store(true);
  });
  while (!stopping.load()) {
    if (!group.poll(std::chrono::milliseconds(200))) continue;
    if (projector) projector->stop();
    projector.reset();
    options.only_partitions.assign(group.owned().begin(), group.owned().end());
    std::string names;
    for (auto p : options.only_partitions) names += (names.empty() ? "" : ",") + std::to_string(p);
    spdlog::info("projector {}: folding partitions [{}]", config.name, names);
    if (options.only_partitions.empty()) continue;
    projector = std::make_unique<projections::pg::PostgresProjector>(log, options);
    projector->start();
  }
  signal_thread.join();
  if (projector) projector->stop();
  return 0;
}

}  // namespace orderline::cli
