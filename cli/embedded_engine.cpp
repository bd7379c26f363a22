#include "cli/embedded_engine.h"
#include "cli/data_dir_layout.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

#include "projections/postgres/postgres_order_search.h"
#include "projections/postgres/postgres_projections.h"
#include "projections/standard_projections.h"

namespace orderline::cli {

std::int64_t system_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

commands::Lookups engine_lookups(const projections::ReadModelStore& read_models, const eventstore::EventLog& event_log) {
  // The read models answer first (DESIGN rule 7). A product or customer created a moment
  // ago may not be projected yet; its stream in the log is then the authority, so a client
  // that registers and orders at once is not refused because the projector is a step behind.
  auto* store = &read_models;
  auto* log = &event_log;
  commands::Lookups lookups;
  lookups.catalogue = [store, log](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    if (auto view = store->product(sku)) {
      return domain::ProductSnapshot{view->sku(), view->name(), view->price(), view->active()};
    }
    auto records = log->read_stream(domain::product_stream(sku));
    if (!records || records.value->empty()) return std::nullopt;
    auto state = domain::initial_state(domain::product_stream(sku));
    v1::EventEnvelope envelope;
    v1::EventPayload event;
    for (const auto& record : *records.value) {
      if (envelope.ParseFromString(record.value) && event.ParseFromString(envelope.payload())) {
        domain::evolve(state, event);
      }
    }
    const auto& product = std::get<domain::ProductState>(state);
    return domain::ProductSnapshot{product.sku, product.name, product.price, product.active};
  };
  lookups.customer_exists = [store, log](std::string_view id) {
    if (store->customer_exists(id)) return true;
    auto records = log->read_stream(domain::customer_stream(id));
    return records && !records.value->empty();
  };
  lookups.now_us = system_now_us;
  return lookups;
}

EmbeddedEngine::EmbeddedEngine(EngineOptions options) : options_(std::move(options)) {
  std::filesystem::create_directories(options_.data_dir);
  if (options_.kafka) {
    auto kafka = *options_.kafka;
    if (kafka.state_dir.empty()) kafka.state_dir = options_.data_dir + "/kafka-index";
    kafka.partitions = options_.partitions;
    // One process writes every partition here (its transactional.id fences any other), so
    // its readers can follow its own commits from memory.
    kafka.sole_writer = true;
    kafka.append_observer = options_.append_observer;
    log_ = std::make_unique<eventstore::KafkaEventLog>(std::move(kafka));
  } else {
    eventstore::EmbeddedLogOptions log_options;
    log_options.path = options_.data_dir + "/" + data_dir::kLog;
    log_options.partitions = options_.partitions;
    log_options.observer = options_.append_observer;
    log_options.outcome_retention = options_.outcome_retention;
    log_ = std::make_unique<eventstore::EmbeddedLog>(log_options);
  }

  projections::ReadModelStoreOptions store_options;
  store_options.path = options_.data_dir + "/" + data_dir::kReadModels;
  store_options.partitions = log_->partition_count();
  read_models_ = std::make_unique<projections::ReadModelStore>(store_options);
  projections::ProjectorOptions projector_options;
  projector_options.observer = options_.projector_observer;
  projector_options.on_poison = options_.on_poison;
  projector_options.order_feed = options_.order_feed;
  projector_ = std::make_unique<projections::Projector>(*log_, *read_models_, projections::standard_projections(),
                                                        projector_options);
  if (!options_.postgres_dsn.empty()) {
    // Beside the RocksDB projector, on its own thread and connection: PostgreSQL being slow or
    // down never holds up the RocksDB read models or an acknowledgement.
    projections::pg::PostgresProjectorOptions pg_options;
    pg_options.dsn = options_.postgres_dsn;
    pg_options.observer = options_.postgres_observer;
    pg_options.on_poison = options_.on_poison;
    postgres_ = std::make_unique<projections::pg::PostgresProjections>(*log_, pg_options);
    order_search_ = std::make_unique<projections::pg::PostgresOrderSearch>(
        projections::pg::PostgresOrderSearchOptions{.dsn = options_.postgres_dsn});
  }
  projections::RocksProjectionAdminOptions admin_options;
  admin_options.factory = [](const std::string& name) { return projections::standard_projection(name); };
  projection_admin_ =
      std::make_unique<projections::RocksProjectionAdmin>(*log_, *read_models_, *projector_, std::move(admin_options));
  std::vector<projections::ProjectionOperations*> sinks{projection_admin_.get()};
  if (postgres_) sinks.push_back(postgres_.get());
  projection_operations_ = std::make_unique<projections::ProjectionOperationsSet>(std::move(sinks));
}

EmbeddedEngine::~EmbeddedEngine() { stop(); }

projections::OrderSearch* EmbeddedEngine::order_search() { return order_search_.get(); }

projections::ProjectionOperations& EmbeddedEngine::projection_operations() { return *projection_operations_; }

void EmbeddedEngine::start() {
  projector_->start();
  if (postgres_) postgres_->start();  // connects, migrates, then follows
  auto lookups = engine_lookups(*read_models_, *log_);
  lookups.saga = options_.saga.enabled;
  bus_ = std::make_unique<commands::LocalCommandBus>(*log_, std::move(lookups), options_.bus);
  if (!options_.saga.enabled) return;
  // The saga follows the log from its own checkpoints.
  saga_ = std::make_unique<SagaService>(*log_, *bus_, options_.data_dir, options_.saga, system_now_us);
  saga_->start();
}

void EmbeddedEngine::stop() {
  // The saga stops sending first; what it has not finished stays after its checkpoint.
  if (saga_) saga_->stop();
  if (bus_) bus_->drain_and_stop();
  if (projector_) projector_->stop();
  if (postgres_) postgres_->stop();
}

eventstore::PositionVector EmbeddedEngine::log_end() const {
  eventstore::PositionVector end;
  for (std::uint32_t p = 0; p < log_->partition_count(); ++p) end.offsets[p] = log_->end_offset(p);
  return end;
}

EmbeddedEngine::Health EmbeddedEngine::readiness(std::uint64_t max_lag) const {
  Health health;
  // detail: the check's short state for `checks`; failure: its sentence for `reason`.
  auto failed = [&](std::string name, std::string detail, const std::string& failure) {
    health.ready = false;
    health.reason += (health.reason.empty() ? "" : "; ") + failure;
    health.checks.emplace_back(std::move(name), std::move(detail));
  };
  auto ok = [&](std::string name) { health.checks.emplace_back(std::move(name), "ok"); };

  if (log_->find_outcome("readiness-probe")) {
    ok("event_log");
  } else {
    failed("event_log", "unreachable", "event log unreachable");
  }

  std::uint64_t lag = 0;
  const auto applied = read_models_->checkpoints();
  for (const auto& [p, end] : log_end().offsets) {
    const auto done = applied.offsets.count(p) ? applied.offsets.at(p) : 0;
    lag += end > done ? end - done : 0;
  }
  if (lag > max_lag) {
    failed("read_models", std::to_string(lag) + " events behind",
           "read models are " + std::to_string(lag) + " events behind the log");
  } else {
    ok("read_models");
  }

  if (postgres_) {
    const auto pg = postgres_->health();
    const auto why = pg.error.empty() ? std::string("connecting") : pg.error;
    if (pg.fenced || pg.stopped) {  // fenced, or stopped on a poison event (--on-poison stop)
      failed("postgres_read_models", "stopped: " + pg.error, "PostgreSQL read models stopped: " + pg.error);
    } else if (!pg.connected) {
      failed("postgres_read_models", "unreachable: " + why, "PostgreSQL read models unreachable: " + why);
    } else {
      ok("postgres_read_models");
    }
  }
  return health;
}

bool EmbeddedEngine::wait_for_read_models(std::chrono::milliseconds timeout) {
  const auto target = log_end();
  std::uint64_t total = 0;
  for (const auto& [p, offset] : target.offsets) total += offset;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!read_models_->wait_for(target, std::chrono::seconds(2))) {
    std::uint64_t done = 0;
    for (const auto& [p, offset] : read_models_->checkpoints().offsets) done += std::min(offset, target.offsets.at(p));
    spdlog::info("read models catching up: {}/{} events ({:.0f}%)", done, total,
                 total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0);
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
  return true;
}

projections::ProjectorStats EmbeddedEngine::projection_stats() const {
  auto stats = projector_->stats();
  if (postgres_) stats.projections.push_back(postgres_->stats());
  return stats;
}

}  // namespace orderline::cli
