#include "observability/projection_metrics.h"

#include "observability/buckets.h"

namespace orderline::observability {

ProjectionMetrics::ProjectionMetrics(prometheus::Registry& registry)
    : poison_(prometheus::BuildCounter()
                  .Name("orderline_projection_poison_events_total")
                  .Help("Events a projection could not fold after every retry: parked as dead letters, or stopped on")
                  .Register(registry)),
      events_(prometheus::BuildCounter()
                  .Name("orderline_projection_events_total")
                  .Help("Events folded into the RocksDB read models")
                  .Register(registry)
                  .Add({})),
      batch_size_(prometheus::BuildHistogram()
                      .Name("orderline_projection_batch_size")
                      .Help("Events folded per read-model write (one partition's batch)")
                      .Register(registry)
                      .Add({}, batch_size_buckets())),
      batch_duration_(prometheus::BuildHistogram()
                          .Name("orderline_projection_batch_duration_seconds")
                          .Help("Time to read, fold and write one batch of events with its checkpoints")
                          .Register(registry)
                          .Add({}, latency_buckets())),
      write_duration_(prometheus::BuildHistogram()
                          .Name("orderline_projection_write_duration_seconds")
                          .Help("The RocksDB write of one batch of read models with its checkpoints (sync=false)")
                          .Register(registry)
                          .Add({}, latency_buckets())) {}

void ProjectionMetrics::on_poison_event(const std::string& projection, bool stopped) {
  poison_.Add({{"projection", projection}, {"outcome", stopped ? "stopped" : "parked"}}).Increment();
}

void ProjectionMetrics::on_write(std::chrono::nanoseconds elapsed) {
  write_duration_.Observe(std::chrono::duration<double>(elapsed).count());
}

void ProjectionMetrics::on_batch(std::uint32_t, std::size_t events, std::chrono::nanoseconds elapsed) {
  events_.Increment(static_cast<double>(events));
  batch_size_.Observe(static_cast<double>(events));
  batch_duration_.Observe(std::chrono::duration<double>(elapsed).count());
}

}  // namespace orderline::observability
