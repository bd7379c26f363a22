#pragma once
// The one-process deployment: embedded log, command bus, projector and read models,
// wired together. The gateway is started on top of it by `orderd serve`.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands/local_command_bus.h"
#include "eventstore/embedded/embedded_log.h"
#include "projections/projector.h"
#include "projections/read_model_store.h"

namespace orderline::projections::pg {
class PostgresProjector;
}

namespace orderline::cli {

struct EngineOptions {
  std::string data_dir;
  std::uint32_t partitions = 8;
  commands::LocalBusOptions bus;
  std::string postgres_dsn;  // non-empty: also fold the log into the PostgreSQL read models
  // Told of every read-model batch (metrics); must outlive the engine. None: not observed.
  projections::ProjectorObserver* projector_observer = nullptr;
  // Told of every synced write of the event log (metrics); must outlive the engine.
  eventstore::AppendObserver* append_observer = nullptr;
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

  eventstore::EmbeddedLog& log() { return *log_; }
  projections::ReadModelStore& read_models() { return *read_models_; }
  commands::LocalCommandBus& bus() { return *bus_; }
  const projections::Projector& projector() const { return *projector_; }
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
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::unique_ptr<projections::ReadModelStore> read_models_;
  std::unique_ptr<projections::Projector> projector_;
  std::unique_ptr<projections::pg::PostgresProjector> postgres_projector_;  // only with a DSN
  std::unique_ptr<commands::LocalCommandBus> bus_;
};

// Wall clock in microseconds since the epoch (the engine's default Clock).
std::int64_t system_now_us();

}  // namespace orderline::cli
