#pragma once
// PostgreSQL projector metrics, fed through projections::pg::PostgresProjectorObserver (its lag
// is read at scrape time with the RocksDB projections', engine_gauges.h, as projection "orders"):
//   orderline_pg_projection_events_total             counter: events folded into PostgreSQL
//   orderline_pg_projection_batch_size               histogram: events per transaction
//   orderline_pg_projection_batch_duration_seconds   histogram: one batch's transaction, BEGIN to
//                                                    the end of COMMIT (the PostgreSQL write latency)
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "projections/postgres/postgres_projector.h"

namespace orderline::observability {

class PgProjectionMetrics final : public projections::pg::PostgresProjectorObserver {
 public:
  explicit PgProjectionMetrics(prometheus::Registry& registry);

  void on_batch(std::size_t events, std::chrono::nanoseconds transaction) override;

 private:
  prometheus::Counter& events_;
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& batch_duration_;
};

}  // namespace orderline::observability
