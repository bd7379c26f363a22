#include "observability/append_metrics.h"

#include "observability/buckets.h"

namespace orderline::observability {

AppendMetrics::AppendMetrics(prometheus::Registry& registry)
    : duration_(prometheus::BuildHistogram()
                    .Name("orderline_event_log_append_duration_seconds")
                    .Help("Time of the durable (synced) write of one append to the event log")
                    .Register(registry)
                    .Add({}, latency_buckets())),
      failures_(prometheus::BuildCounter()
                    .Name("orderline_event_log_append_failures_total")
                    .Help("Appends the event log refused (nothing of them was acknowledged)")
                    .Register(registry)
                    .Add({})) {}

void AppendMetrics::on_append(std::uint32_t, std::size_t, std::chrono::nanoseconds elapsed, bool ok) {
  duration_.Observe(std::chrono::duration<double>(elapsed).count());
  if (!ok) failures_.Increment();
}

}  // namespace orderline::observability
