#pragma once
// Projector metrics, fed through projections::ProjectorObserver (the lag gauges are read at
// scrape time instead: engine_gauges.h):
//   orderline_projection_events_total                  counter: events folded into the read models
//   orderline_projection_batch_size                    histogram: events per read-model write
//   orderline_projection_batch_duration_seconds        histogram: decode + apply + write per batch
//   orderline_projection_write_duration_seconds        histogram: the RocksDB write of a batch alone
//   orderline_projection_poison_events_total{projection,outcome}  counter: events parked or stopped on
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "projections/projector.h"

namespace orderline::observability {

class ProjectionMetrics final : public projections::ProjectorObserver {
 public:
  explicit ProjectionMetrics(prometheus::Registry& registry);

  void on_batch(std::uint32_t partition, std::size_t events, std::chrono::nanoseconds elapsed) override;
  void on_write(std::chrono::nanoseconds elapsed) override;
  void on_poison_event(const std::string& projection, bool stopped) override;

 private:
  prometheus::Family<prometheus::Counter>& poison_;
  prometheus::Counter& events_;
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& batch_duration_;
  prometheus::Histogram& write_duration_;
};

}  // namespace orderline::observability
