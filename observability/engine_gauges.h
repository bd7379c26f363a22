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
#include "projections/projector.h"

namespace orderline::observability {

// Where the gauges read from; every member optional (its gauges are left out when unset).
struct EngineSources {
  const eventstore::EventLog* log = nullptr;
  std::function<commands::BusStats()> bus;
  std::function<projections::ProjectorStats()> projector;
  std::function<std::int64_t()> now_us;  // wall clock (the log's times are wall-clock); default: system clock
};

struct ProjectionLag {
  std::string projection;
  std::uint32_t partition = 0;
  std::uint64_t events = 0;
  double seconds = 0;
};

// The lag of every projection on every partition. log_time_us(partition, offset) gives the
// log time of a record, nullopt if unreadable (its lag in seconds is then left at 0 rather
// than guessed).
std::vector<ProjectionLag> projection_lags(
    const projections::ProjectorStats& stats, const std::vector<std::uint64_t>& log_ends, std::int64_t now_us,
    const std::function<std::optional<std::int64_t>(std::uint32_t, std::uint64_t)>& log_time_us);

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
