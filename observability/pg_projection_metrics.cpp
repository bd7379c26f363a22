#include "observability/pg_projection_metrics.h"

#include "observability/buckets.h"

namespace orderline::observability {

PgProjectionMetrics::PgProjectionMetrics(prometheus::Registry& registry)
    : events_(prometheus::BuildCounter()
                  .Name("orderline_pg_projection_events_total")
                  .Help("Events folded into the PostgreSQL read models")
                  .Register(registry)
                  .Add({})),
      batch_size_(prometheus::BuildHistogram()
                      .Name("orderline_pg_projection_batch_size")
                      .Help("Events folded per PostgreSQL transaction")
                      .Register(registry)
                      .Add({}, pg_batch_size_buckets())),
      batch_duration_(prometheus::BuildHistogram()
                          .Name("orderline_pg_projection_batch_duration_seconds")
                          .Help("One PostgreSQL projector transaction: checkpoint compare-and-set, fold, "
                                "writes and COMMIT")
                          .Register(registry)
                          .Add({}, latency_buckets())) {}

void PgProjectionMetrics::on_batch(std::size_t events, std::chrono::nanoseconds transaction) {
  events_.Increment(static_cast<double>(events));
  batch_size_.Observe(static_cast<double>(events));
  batch_duration_.Observe(std::chrono::duration<double>(transaction).count());
}

}  // namespace orderline::observability
