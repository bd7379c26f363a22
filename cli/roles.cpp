#include "cli/roles.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "cli/auth_setup.h"
#include "cli/demo_catalogue.h"
#include "cli/embedded_engine.h"
#include "cli/kafka_config.h"
#include "cli/logging.h"
#include "cli/operator_http.h"
#include "cli/role_readiness.h"
#include "cli/saga_service.h"
#include "cli/stream_setup.h"
#include "commands/kafka/kafka_command_bus.h"
#include "commands/kafka/kafka_processor.h"
#include "commands/observed_command_bus.h"
#include "eventstore/kafka/group_membership.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "gateway/server.h"
#include "gateway/stream_hub.h"
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
  // Every role follows the log for as long as it runs: its readers wait on a fetch, not on
  // offset queries (tail_follower.h).
  options.follow_tail = true;
  std::filesystem::create_directories(data_dir);
  options.state_dir = data_dir + "/kafka-index";
  return options;
}

// The command bus of a role that sends commands (gateway, saga): replies on its own partition.
commands::KafkaBusOptions bus_options(const eventstore::KafkaLogOptions& kafka, std::uint32_t reply_partition,
                                      std::uint32_t reply_partitions, int timeout_ms) {
  commands::KafkaBusOptions options;
  options.kafka = kafka;
  options.reply_partition = reply_partition;
  options.reply_partitions = reply_partitions;
  options.default_timeout = std::chrono::milliseconds(timeout_ms);
  return options;
}

// Before any client exists: librdkafka's statistics feed the Kafka metrics from the start.
void observe_kafka_statistics(eventstore::KafkaLogOptions& kafka, observability::Metrics& metrics, int period_ms) {
  kafka.statistics_interval = std::chrono::milliseconds(period_ms);
  eventstore::set_kafka_statistics_observer(metrics.kafka_statistics());
}

// A thread that waits for SIGTERM/SIGINT (blocked in every thread, see above) and then calls
// `stop`; join it once the role's loop has ended.
std::thread stop_on_signal(const sigset_t& signals, std::function<void()> stop) {
  return std::thread([&signals, stop = std::move(stop)] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("signal {}: stopping", signal_number);
    stop();
  });
}

}  // namespace

int run_gateway(const GatewayRoleConfig& role) {
  const auto& config = role.http;
  setup_logging(config.log_level, "gateway");
  raise_open_file_limit();  // WebSocket streams
  const sigset_t signals = block_shutdown_signals();

  auto kafka = log_options(config.event_log, config.kafka_options, config.data_dir, config.partitions);
  kafka.read_only = true;  // processors write; a gateway must fence none of them
  if (config.metrics) kafka.statistics_interval = std::chrono::milliseconds(config.kafka_statistics_ms);
  eventstore::KafkaEventLog log(kafka);

  observability::Metrics metrics;
  if (config.metrics) eventstore::set_kafka_statistics_observer(metrics.kafka_statistics());  // the bus's clients
  projections::ReadModelStoreOptions store_options;
  store_options.path = config.data_dir + "/readmodels";
  store_options.partitions = log.partition_count();
  projections::ReadModelStore store(store_options);
  // WebSocket live updates: fed by this gateway's projector, as in `orderd serve` (one code
  // path): its read models fold every partition, so every order's updates pass through here.
  // Declared before the projector, which tells it of every batch until it stops.
  gateway::StreamHub stream_hub;
  projections::ProjectorOptions projector_options;
  if (config.metrics) projector_options.observer = metrics.projector();
  projector_options.order_feed = &stream_hub;
  projections::Projector projector(log, store, projections::standard_projections(), projector_options);
  projector.start();

  commands::KafkaCommandBus bus(
      bus_options(kafka, role.reply_partition, role.reply_partitions, config.command_timeout_ms));
  // The API's commands are timed from the gateway's side (the processors time their own part).
  commands::ObservedCommandBus observed_bus(bus, *metrics.gateway_commands());
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
  configure_gateway_streams(config, gateway_config);

  gateway::Services services;
  services.bus = config.metrics ? static_cast<commands::CommandBus*>(&observed_bus) : &bus;
  services.stream_hub = &stream_hub;
  services.read_models = &store;
  services.log = &log;
  projections::RecommendationQueries recommendations(store);
  services.recommendations = &recommendations;
  // Brokers reachable, read models not too far behind (role_readiness.h).
  services.readiness = [&log, &store] { return gateway_readiness(log, store.checkpoints()); };
  if (config.metrics) {
    services.metrics = [&metrics] { return metrics.render(); };
    services.http_observer = metrics.http();
    services.auth_observer = metrics.auth();
    services.stream_observer = metrics.streams();
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
  const bool metrics_on = config.operator_http.metrics;
  observability::Metrics metrics;
  if (metrics_on) observe_kafka_statistics(kafka, metrics, config.kafka_statistics_ms);
  eventstore::KafkaEventLog log(kafka);

  // The catalogue and customer read models the command handlers consult (DESIGN rule 7),
  // fed from every partition of the events topic.
  projections::ReadModelStoreOptions store_options;
  store_options.path = config.data_dir + "/readmodels";
  store_options.partitions = log.partition_count();
  projections::ReadModelStore store(store_options);
  projections::ProjectorOptions projector_options;
  if (metrics_on) projector_options.observer = metrics.projector();
  projections::Projector projector(log, store, projections::standard_projections(), projector_options);
  projector.start();

  commands::KafkaProcessorOptions options;
  options.kafka = kafka;
  options.max_batch = config.max_batch;
  options.session_timeout = std::chrono::milliseconds(config.session_timeout_ms);
  if (metrics_on) options.observers = {metrics.commands(), metrics.appends()};  // serve's names
  // A product this instance owns and has cached is answered from its committed state (the
  // read models trail it). A product or customer another processor wrote a moment ago may be
  // in neither the read models nor this processor's index yet: on a miss, catch the index up
  // and ask once more, so "register, then order at once" works as in the embedded mode.
  commands::KafkaProcessor* running = nullptr;  // set once constructed; the lookups run on its thread
  auto lookups = engine_lookups(store, log);
  lookups.catalogue = [catalogue = lookups.catalogue, &log, &running](std::string_view sku) {
    if (running != nullptr) {
      if (auto cached = running->cached_product(sku)) return cached;
    }
    auto found = catalogue(sku);
    if (!found && log.restore()) found = catalogue(sku);
    return found;
  };
  lookups.customer_exists = [exists = lookups.customer_exists, &log](std::string_view id) {
    return exists(id) || (log.restore() && exists(id));
  };
  lookups.saga = config.saga;  // new orders are marked for `orderd saga`
  commands::KafkaProcessor processor(log, std::move(lookups), options);
  running = &processor;

  if (metrics_on) {
    metrics.set_sources({&log, {}, [&projector] { return projector.stats(); }, system_now_us});
    metrics.set_kafka_transactions_source([&log] { return log.transaction_counts(); });
  }
  OperatorHttp http(
      config.operator_http, [&] { return processor_readiness(log, processor.stats(), processor.fatal()); },
      metrics_on ? std::function<std::string()>([&metrics] { return metrics.render(); }) : nullptr);
  http.start();

  std::thread signal_thread = stop_on_signal(signals, [&processor] { processor.stop(); });
  spdlog::info("processor {} on {}: {} partitions", config.instance_id, config.event_log, log.partition_count());
  std::cout << "Orderline processor " << config.instance_id << " is running" << std::endl;
  processor.run();
  const auto fatal = processor.fatal();
  // Wakes the signal thread when run() ended by itself (fenced).
  ::kill(::getpid(), SIGTERM);
  signal_thread.join();
  http.stop();
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
  options.on_poison = poison_policy(config.on_poison);
  const bool metrics_on = config.operator_http.metrics;
  observability::Metrics metrics;
  if (metrics_on) options.observer = metrics.pg_projector();
  // The projector is replaced on every rebalance; the HTTP thread reads it under this mutex.
  std::mutex projector_mutex;
  std::unique_ptr<projections::pg::PostgresProjector> projector;
  std::set<std::uint32_t> owned;
  auto state = [&] {
    std::lock_guard lock(projector_mutex);
    ProjectorState now;
    now.owned = owned;
    if (projector) {
      now.health = projector->health();
      now.checkpoints = projector->checkpoints();
    }
    return now;
  };
  if (metrics_on) {
    // Its lag, as projection "orders" on the partitions this instance folds.
    metrics.set_sources({&log, {}, [&] {
                           projections::ProjectorStats stats;
                           std::lock_guard lock(projector_mutex);
                           if (!projector) return stats;
                           stats.projections.push_back({options.projection, projector->checkpoints(),
                                                        std::max(1, projector->version()), false, "",
                                                        {owned.begin(), owned.end()}});
                           return stats;
                         },
                         system_now_us});
  }
  OperatorHttp http(
      config.operator_http, [&] { return projector_readiness(log, state()); },
      metrics_on ? std::function<std::string()>([&metrics] { return metrics.render(); }) : nullptr);
  http.start();
  spdlog::info("projector {} on {} into PostgreSQL", config.name, config.event_log);
  std::cout << "Orderline projector " << config.name << " is running" << std::endl;

  std::atomic<bool> stopping{false};
  std::thread signal_thread = stop_on_signal(signals, [&stopping] { stopping.store(true); });
  while (!stopping.load()) {
    if (!group.poll(std::chrono::milliseconds(200))) continue;
    std::lock_guard lock(projector_mutex);
    if (projector) projector->stop();
    projector.reset();
    owned = group.owned();
    options.only_partitions.assign(owned.begin(), owned.end());
    spdlog::info("projector {}: folding partitions [{}]", config.name, partition_list(owned));
    if (options.only_partitions.empty()) continue;
    projector = std::make_unique<projections::pg::PostgresProjector>(log, options);
    projector->start();
  }
  signal_thread.join();
  http.stop();
  std::lock_guard lock(projector_mutex);
  if (projector) projector->stop();
  return 0;
}

int run_saga(const SagaRoleConfig& config) {
  setup_logging(config.log_level, "saga");
  const sigset_t signals = block_shutdown_signals();
  auto kafka = log_options(config.event_log, config.kafka_options, config.data_dir, config.partitions);
  kafka.read_only = true;  // processors write; the saga only reads and sends commands
  const bool metrics_on = config.operator_http.metrics;
  observability::Metrics metrics;
  if (metrics_on) observe_kafka_statistics(kafka, metrics, config.kafka_statistics_ms);
  eventstore::KafkaEventLog log(kafka);

  // Its commands go to the processors like a gateway's, with replies on a partition of its own.
  commands::KafkaCommandBus bus(
      bus_options(kafka, config.reply_partition, config.reply_partitions, config.command_timeout_ms));

  auto saga_settings = saga_config(config.saga);
  if (metrics_on) saga_settings.observer = metrics.saga();
  // The saga runs only while this instance owns partition 0 of the events topic in group
  // <prefix>.saga, which the group gives to one member at a time, so a second instance (a
  // mistake, or a standby) waits instead of running beside it: each would keep a payment
  // ledger of its own. Replaced on every change of ownership, under the mutex the HTTP thread
  // reads it with.
  eventstore::GroupMembership group(kafka, log.events_topic(), kafka.topic_prefix + ".saga",
                                    std::chrono::milliseconds(config.session_timeout_ms));
  std::mutex saga_mutex;
  std::unique_ptr<SagaService> saga;
  std::set<std::uint32_t> owned;
  if (metrics_on) {
    metrics.set_sources({&log, {}, {}, system_now_us});
    metrics.set_saga_source([&] {
      std::lock_guard lock(saga_mutex);
      return saga ? saga->runner().stats() : commands::saga::SagaStats{};
    });
  }
  OperatorHttp http(
      config.operator_http,
      [&] {
        std::lock_guard lock(saga_mutex);
        return saga_readiness(log, owned, saga != nullptr);
      },
      metrics_on ? std::function<std::string()>([&metrics] { return metrics.render(); }) : nullptr);
  http.start();
  spdlog::info("saga on {}: {} partitions, reply partition {}", config.event_log, log.partition_count(),
               config.reply_partition);
  std::cout << "Orderline saga is running" << std::endl;

  std::atomic<bool> stopping{false};
  std::thread signal_thread = stop_on_signal(signals, [&stopping] { stopping.store(true); });
  while (!stopping.load()) {
    if (!group.poll(std::chrono::milliseconds(200))) continue;
    std::lock_guard lock(saga_mutex);
    owned = group.owned();
    const bool sole = owned.count(0) > 0;
    if (sole && !saga) {
      spdlog::info("saga: this instance owns partition 0 of group {}.saga; running", kafka.topic_prefix);
      saga = std::make_unique<SagaService>(log, bus, config.data_dir, saga_settings, system_now_us);
      saga->start();
    } else if (!sole && saga) {
      // What it has not finished stays after its checkpoint for whoever runs next.
      spdlog::warn("saga: partition 0 of group {}.saga went to another saga; standing by", kafka.topic_prefix);
      saga->stop();
      saga.reset();
    }
  }
  signal_thread.join();
  http.stop();
  std::lock_guard lock(saga_mutex);
  if (saga) saga->stop();
  return 0;
}

}  // namespace orderline::cli
