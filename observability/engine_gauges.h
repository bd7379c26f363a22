#pragma once
// Gauges of the engine's state, read when Prometheus scrapes (nothing is updated between
// scrapes, so they cost nothing on the write path):
//   orderline_command_queue_depth{partition}               commands waiting for their partition's worker
//   orderline_command_queue_capacity                       per partition; a full queue answers 429
//   orderline_event_log_end_offset{partition}              next offset of each log partition
//   orderline_projection_lag_events{projection,partition}  log end - the projection's checkpoint
//   orderline_projection_lag_seconds{projection,partition} now - log time of the first event the
//                                                          projection has not folded; 0 when caught up
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commands/local_command_bus.h"
#include "eventstore/event_log.h"
#include "projections/projection_lag.h"
#include "projections/projector.h"

namespace orderline::observability {

// Where the gauges read from; every member optional (its gauges are left out when unset).
struct EngineSources {
  const eventstore::EventLog* log = nullptr;
  std::function<commands::BusStats()> bus;
  std::function<projections::ProjectorStats()> projector;
  std::function<std::int64_t()> now_us;  // wall clock (the log's times are wall-clock); default: system clock
};

// Lag per projection and partition (projections/projection_lag.h), named here too for callers.
using projections::ProjectionLag;
using projections::projection_lags;

class EngineGauges final : public prometheus::Collectable {
 public:
  // Sources may be set (or replaced) after construction: the engine's parts exist only once
  // it has started, while the metrics exist before it.
  void set_sources(EngineSources sources);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  EngineSources sources_;
};

}  // namespace orderline::observability
