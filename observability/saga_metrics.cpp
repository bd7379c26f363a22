#include "observability/saga_metrics.h"

namespace orderline::observability {
namespace {

prometheus::MetricFamily gauge(std::string name, std::string help, double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  f.metric.push_back(std::move(metric));
  return f;
}

}  // namespace

SagaMetrics::SagaMetrics(prometheus::Registry& registry)
    : steps_(prometheus::BuildCounter()
                 .Name("orderline_saga_steps_total")
                 .Help("Commands and payment calls of the order saga that finished, by step and result")
                 .Register(registry)),
      outcomes_(prometheus::BuildCounter()
                    .Name("orderline_saga_outcomes_total")
                    .Help("Orders run by the saga that reached an end: confirmed, out_of_stock, payment_declined, "
                          "expired, cancelled")
                    .Register(registry)) {}

void SagaMetrics::on_step(std::string_view step, std::string_view result) {
  step_series_
      .get({step, result},
           [&] { return &steps_.Add({{"step", std::string(step)}, {"result", std::string(result)}}); })
      ->Increment();
}

void SagaMetrics::on_outcome(std::string_view outcome) {
  outcome_series_.get({outcome}, [&] { return &outcomes_.Add({{"outcome", std::string(outcome)}}); })->Increment();
}

void SagaMetrics::set_source(std::function<commands::saga::SagaStats()> stats) {
  std::lock_guard lock(mutex_);
  stats_ = std::move(stats);
}

std::vector<prometheus::MetricFamily> SagaMetrics::Collect() const {
  std::lock_guard lock(mutex_);
  if (!stats_) return {};
  const auto stats = stats_();
  return {gauge("orderline_saga_events_in_flight", "Events whose saga actions have not all finished",
                static_cast<double>(stats.events_in_flight)),
          gauge("orderline_saga_steps_in_flight", "Saga commands and payment calls under way",
                static_cast<double>(stats.steps_in_flight)),
          gauge("orderline_saga_timeouts_armed", "Orders waiting for their reservation time-out",
                static_cast<double>(stats.timeouts_armed))};
}

}  // namespace orderline::observability
