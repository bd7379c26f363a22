#include "observability/engine_gauges.h"

#include <chrono>
#include <map>
#include <utility>

#include "observability/families.h"

namespace orderline::observability {
namespace {

std::int64_t system_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

void EngineGauges::set_sources(EngineSources sources) {
  std::lock_guard lock(mutex_);
  sources_ = std::move(sources);
}

std::vector<prometheus::MetricFamily> EngineGauges::Collect() const {
  std::lock_guard lock(mutex_);
  std::vector<prometheus::MetricFamily> out;
  if (sources_.bus) {
    const auto stats = sources_.bus();
    auto depth = family("orderline_command_queue_depth", "Commands waiting for their partition's worker");
    for (std::size_t p = 0; p < stats.queued.size(); ++p) {
      add_gauge(depth, {{"partition", std::to_string(p)}}, static_cast<double>(stats.queued[p]));
    }
    out.push_back(std::move(depth));
    auto capacity = family("orderline_command_queue_capacity",
                           "Commands a partition's queue holds; beyond, commands are answered 429");
    add_gauge(capacity, {}, static_cast<double>(stats.queue_capacity));
    out.push_back(std::move(capacity));
  }
  if (!sources_.log) return out;
  const auto& log = *sources_.log;
  std::vector<std::uint64_t> ends;
  auto end_offsets = family("orderline_event_log_end_offset", "Next offset of each event log partition");
  for (std::uint32_t p = 0; p < log.partition_count(); ++p) {
    ends.push_back(log.end_offset(p));
    add_gauge(end_offsets, {{"partition", std::to_string(p)}}, static_cast<double>(ends.back()));
  }
  out.push_back(std::move(end_offsets));
  if (!sources_.projector) return out;

  const auto now = sources_.now_us ? sources_.now_us() : system_now_us();
  const auto lags = projection_lags(sources_.projector(), ends, now, projections::log_time_reader(log));
  auto events = family("orderline_projection_lag_events",
                       "Events in the log a projection has not folded yet (log end - checkpoint)");
  auto seconds = family("orderline_projection_lag_seconds",
                        "Age of the oldest event a projection has not folded yet (0 when caught up)");
  for (const auto& lag : lags) {
    std::vector<prometheus::ClientMetric::Label> labels = {{"partition", std::to_string(lag.partition)},
                                                            {"projection", lag.projection}};
    add_gauge(events, labels, static_cast<double>(lag.events));
    add_gauge(seconds, std::move(labels), lag.seconds);
  }
  out.push_back(std::move(events));
  out.push_back(std::move(seconds));
  return out;
}

}  // namespace orderline::observability
