#pragma once
// The one-process deployment: event log, command bus, projector and read models, wired
// together. The gateway is started on top of it by `orderd serve`. The log is the embedded
// RocksDB log by default, or Kafka (`--event-log kafka://...`): same bus, same projections.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/local_command_bus.h"
#include "cli/saga_service.h"
#include "eventstore/embedded/embedded_log.h"
#include "projections/order_search.h"
#include "eventstore/kafka/kafka_event_log.h"
#include "projections/projector.h"
#include "projections/projection_operations_set.h"
#include "projections/rocksdb_projection_admin.h"
#include "projections/read_model_store.h"

namespace orderline::projections::pg {
class PostgresProjections;
class PostgresOrderSearch;
class PostgresProjectorObserver;
}

namespace orderline::cli {

struct EngineOptions {
  std::string data_dir;
  std::uint32_t partitions = 8;
  commands::LocalBusOptions bus;
  // Embedded log: command outcomes older than this are removed (at least 24 h).
  std::chrono::seconds outcome_retention = eventstore::kDefaultOutcomeRetention;
  std::string postgres_dsn;  // non-empty: also fold the log into the PostgreSQL read models
  projections::PoisonPolicy on_poison = projections::PoisonPolicy::park;  // RocksDB and PostgreSQL projections
  // Set: the event log is Kafka (its state_dir defaults to <data_dir>/kafka-index, and its
  // partitions to `partitions`); unset: the embedded log in <data_dir>/log.
  std::optional<eventstore::KafkaLogOptions> kafka;
  // Told of every read-model batch (metrics); must outlive the engine. None: not observed.
  projections::ProjectorObserver* projector_observer = nullptr;
  // Told of every synced write of the event log (metrics); must outlive the engine.
  eventstore::AppendObserver* append_observer = nullptr;
  // Told of every PostgreSQL read-model transaction (metrics, with postgres_dsn); must outlive it.
  projections::pg::PostgresProjectorObserver* postgres_observer = nullptr;
  SagaConfig saga;
  // Told of the order updates of every read-model batch (WebSocket pushes); must outlive it.
  projections::OrderFeed* order_feed = nullptr;
};

class EmbeddedEngine {
 public:
  explicit EmbeddedEngine(EngineOptions options);  // opens the stores; throws on failure
  ~EmbeddedEngine();

  // Starts the projector and the command workers.
  void start();
  // Drains queued commands (all acknowledged ones are durable), then stops the projector.
  void stop();

  // Waits until the read models have folded everything in the log at the time of the call,
  // logging progress; false on timeout.
  bool wait_for_read_models(std::chrono::milliseconds timeout);

  eventstore::EventLog& log() { return *log_; }
  projections::ReadModelStore& read_models() { return *read_models_; }
  commands::LocalCommandBus& bus() { return *bus_; }
  const projections::Projector& projector() const { return *projector_; }
  // The RocksDB projections' stats, and the PostgreSQL read models' when there are some (lag gauges).
  projections::ProjectorStats projection_stats() const;
  // Staff order search over the PostgreSQL read models; null without a DSN.
  projections::OrderSearch* order_search();
  // The projection registry and its operations (RocksDB; PostgreSQL listed when configured).
  projections::ProjectionOperations& projection_operations();
  // Null when the saga is off.
  commands::saga::SagaRunner* saga() { return saga_ ? &saga_->runner() : nullptr; }
  commands::SimulatedPaymentProvider* payments() { return saga_ ? &saga_->payments() : nullptr; }
  eventstore::PositionVector log_end() const;

  struct Health {
    bool ready = true;
    std::string reason;  // the failing checks' explanations, "; "-separated
    // Every check by name, "ok" or why not: event_log, read_models, postgres_read_models
    // (only with a DSN). All are evaluated, so /readyz shows every failing part at once.
    std::vector<std::pair<std::string, std::string>> checks;
  };
  // Ready when the log answers and the read models are within max_lag events of it, and,
  // with PostgreSQL read models, when their projector is connected and not fenced.
  Health readiness(std::uint64_t max_lag = 100'000) const;

 private:
  EngineOptions options_;
  std::unique_ptr<eventstore::EventLog> log_;
  std::unique_ptr<projections::ReadModelStore> read_models_;
  std::unique_ptr<projections::Projector> projector_;
  std::unique_ptr<projections::pg::PostgresProjections> postgres_;          // only with a DSN
  std::unique_ptr<projections::pg::PostgresOrderSearch> order_search_;      // only with a DSN
  // Declared before the bus, so the bus (whose workers answer the saga's commands) goes first.
  std::unique_ptr<SagaService> saga_;
  std::unique_ptr<commands::LocalCommandBus> bus_;
  std::unique_ptr<projections::RocksProjectionAdmin> projection_admin_;  // after the projector: stops first
  std::unique_ptr<projections::ProjectionOperationsSet> projection_operations_;
};

// Wall clock in microseconds since the epoch (the engine's default Clock).
std::int64_t system_now_us();

// What command handlers consult (DESIGN rule 7): the catalogue and customer read models, and
// the log's stream of a product or customer the read models have not folded yet.
commands::Lookups engine_lookups(const projections::ReadModelStore& read_models, const eventstore::EventLog& event_log);

}  // namespace orderline::cli
