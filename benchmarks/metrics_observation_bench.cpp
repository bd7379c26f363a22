// What one metric observation costs on the hot paths (issue 8: metrics cost <= 3 % of
// orders/s, which benchmarks/metrics_cost measures end to end). Each HTTP request and each
// command records one counter and one histogram sample found by its label values; these time
// that, single-threaded and with threads contending for the same series (the gateway's I/O
// threads answering the same route), beside prometheus-cpp's own parts for scale:
//   BM_FamilyAdd          Family::Add(labels): the lookup a naive observer would do per request
//   BM_CounterIncrement   one Counter::Increment of a series already found
//   BM_HistogramObserve   one Histogram::Observe of a series already found
//   BM_HttpResponse       HttpMetrics::on_response: what the gateway does per request
//   BM_CommandReply       CommandMetrics::on_reply: what the deciding bus does per command
//
//   build/benchmarks/metrics_observation_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>

#include "observability/buckets.h"
#include "observability/command_metrics.h"
#include "observability/http_metrics.h"

namespace {

using namespace orderline;

// Shared by the threads of a multi-threaded run (the series contended, as in the server).
prometheus::Registry& registry() {
  static prometheus::Registry r;
  return r;
}

void BM_FamilyAdd(benchmark::State& state) {
  static auto& family = prometheus::BuildCounter().Name("bench_family_add_total").Help("h").Register(registry());
  for (auto _ : state) {
    auto& counter = family.Add({{"route", "/api/v1/orders/{order_id}"}, {"method", "POST"}, {"status", "200"}});
    counter.Increment();
  }
}
BENCHMARK(BM_FamilyAdd)->ThreadRange(1, 2)->UseRealTime();

void BM_CounterIncrement(benchmark::State& state) {
  static auto& counter = prometheus::BuildCounter().Name("bench_counter_total").Help("h").Register(registry()).Add({});
  for (auto _ : state) counter.Increment();
}
BENCHMARK(BM_CounterIncrement)->ThreadRange(1, 2)->UseRealTime();

void BM_HistogramObserve(benchmark::State& state) {
  static auto& histogram = prometheus::BuildHistogram()
                               .Name("bench_histogram_seconds")
                               .Help("h")
                               .Register(registry())
                               .Add({}, observability::latency_buckets());
  double value = 0.0001;
  for (auto _ : state) {
    histogram.Observe(value);
    value = value < 1 ? value * 1.5 : 0.0001;  // across the buckets
  }
}
BENCHMARK(BM_HistogramObserve)->ThreadRange(1, 2)->UseRealTime();

void BM_HttpResponse(benchmark::State& state) {
  static observability::HttpMetrics http(registry());
  // A few routes and statuses in turn, as a real mix would.
  static constexpr std::string_view kRoutes[] = {"/api/v1/orders", "/api/v1/orders/{order_id}",
                                                 "/api/v1/orders/{order_id}/pay", "/api/v1/products"};
  static constexpr std::string_view kMethods[] = {"POST", "GET", "POST", "GET"};
  static constexpr unsigned kStatuses[] = {201, 200, 200, 200};
  std::size_t i = 0;
  for (auto _ : state) {
    const auto k = i++ % 4;
    http.on_response(kMethods[k], kRoutes[k], kStatuses[k], std::chrono::microseconds(800));
  }
}
BENCHMARK(BM_HttpResponse)->ThreadRange(1, 2)->UseRealTime();

void BM_CommandReply(benchmark::State& state) {
  static observability::CommandMetrics metrics(registry());
  v1::Command place;
  place.mutable_place_order();
  v1::Command pay;
  pay.mutable_pay_order();
  commands::CommandReply accepted;
  accepted.outcome.set_accepted(true);
  commands::CommandReply rejected;
  rejected.outcome.set_error_code("version_conflict");
  std::size_t i = 0;
  for (auto _ : state) {
    const bool odd = (i++ % 2) != 0;
    metrics.on_reply(odd ? pay : place, odd ? rejected : accepted, std::chrono::microseconds(1200));
  }
}
BENCHMARK(BM_CommandReply)->ThreadRange(1, 2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
