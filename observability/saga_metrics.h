#pragma once
// Order saga metrics, fed through commands::saga::SagaObserver and read at scrape time:
//   orderline_saga_steps_total{step,result}   counter: commands and payment calls the saga finished
//                                             (step: reserve_stock, record_payment, authorize, ...;
//                                             result: accepted, rejected, or the provider's answer)
//   orderline_saga_outcomes_total{outcome}    counter: orders that reached an end of the saga
//                                             (confirmed, out_of_stock, payment_declined, expired,
//                                             cancelled)
//   orderline_saga_events_in_flight           gauge: events whose actions have not all finished
//   orderline_saga_steps_in_flight            gauge: commands and payment calls under way
//   orderline_saga_timeouts_armed             gauge: orders waiting for their reservation time-out
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <functional>
#include <mutex>

#include "commands/saga/saga_observer.h"
#include "commands/saga/saga_runner.h"
#include "observability/series_cache.h"

namespace orderline::observability {

class SagaMetrics final : public commands::saga::SagaObserver, public prometheus::Collectable {
 public:
  explicit SagaMetrics(prometheus::Registry& registry);

  void on_step(std::string_view step, std::string_view result) override;
  void on_outcome(std::string_view outcome) override;

  // Where the gauges read from (unset: the gauges are left out).
  void set_source(std::function<commands::saga::SagaStats()> stats);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  prometheus::Family<prometheus::Counter>& steps_;
  prometheus::Family<prometheus::Counter>& outcomes_;
  SeriesCache<2, prometheus::Counter*> step_series_;
  SeriesCache<1, prometheus::Counter*> outcome_series_;
  mutable std::mutex mutex_;
  std::function<commands::saga::SagaStats()> stats_;
};

}  // namespace orderline::observability
