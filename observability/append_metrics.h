#pragma once
// Event log write metrics, fed through eventstore::AppendObserver:
//   orderline_event_log_append_duration_seconds     histogram: the synced write of one append
//                                                   (RocksDB WriteBatch with fsync, embedded log;
//                                                   the Kafka transaction that carried it, with
//                                                   its wait for the group commit, on Kafka)
//   orderline_event_log_append_failures_total       counter: appends the log refused (I/O errors)
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "eventstore/append_observer.h"

namespace orderline::observability {

class AppendMetrics final : public eventstore::AppendObserver {
 public:
  explicit AppendMetrics(prometheus::Registry& registry);

  void on_append(std::uint32_t partition, std::size_t records, std::chrono::nanoseconds elapsed, bool ok) override;

 private:
  prometheus::Histogram& duration_;
  prometheus::Counter& failures_;
};

}  // namespace orderline::observability
