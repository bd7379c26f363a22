// The metric families of observability/: labels by route template and command type, the
// projection lag arithmetic, and the /proc parsing of the process metrics.
#include <gtest/gtest.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <sstream>

#include "observability/command_metrics.h"
#include "observability/engine_gauges.h"
#include "observability/http_metrics.h"
#include "observability/metrics.h"
#include "observability/process_metrics.h"
#include "observability/saga_metrics.h"

namespace orderline::observability {
namespace {

using std::chrono::milliseconds;

std::string render(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(HttpMetrics, CountsByRouteMethodAndStatus) {
  prometheus::Registry registry;
  HttpMetrics http(registry);
  http.on_response("POST", "/api/v1/orders/{order_id}/pay", 200, milliseconds(3));
  http.on_response("POST", "/api/v1/orders/{order_id}/pay", 200, milliseconds(4));
  http.on_response("POST", "/api/v1/orders/{order_id}/pay", 409, milliseconds(1));
  http.on_response("BREW", "unmatched", 405, milliseconds(1));
  const auto text = render(registry);
  EXPECT_TRUE(has_line(text,
                       R"(orderline_http_requests_total{method="POST",route="/api/v1/orders/{order_id}/pay",status="200"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text,
                       R"(orderline_http_requests_total{method="POST",route="/api/v1/orders/{order_id}/pay",status="409"} 1)"))
      << text;
  // Non-standard methods share one label value.
  EXPECT_TRUE(has_line(text, R"(orderline_http_requests_total{method="other",route="unmatched",status="405"} 1)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(orderline_http_request_duration_seconds_count{method="POST",route="/api/v1/orders/{order_id}/pay"} 3)"))
      << text;
  // 3 ms and 4 ms fall at or under 5 ms; the 1 ms one under 2.5 ms too.
  EXPECT_TRUE(has_line(
      text,
      R"(orderline_http_request_duration_seconds_bucket{method="POST",route="/api/v1/orders/{order_id}/pay",le="0.0025"} 1)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(orderline_http_request_duration_seconds_bucket{method="POST",route="/api/v1/orders/{order_id}/pay",le="0.005"} 3)"))
      << text;
}

TEST(CommandMetrics, CountsRepliesByTypeResultAndCode) {
  prometheus::Registry registry;
  CommandMetrics metrics(registry);
  v1::Command place;
  place.mutable_place_order()->set_order_id("o-1");
  v1::Command pay;
  pay.mutable_pay_order()->set_order_id("o-1");

  commands::CommandReply accepted;
  accepted.outcome.set_accepted(true);
  commands::CommandReply conflict;
  conflict.outcome.set_error_code("version_conflict");
  commands::CommandReply overloaded;
  overloaded.kind = commands::CommandReply::Kind::overloaded;

  metrics.on_reply(place, accepted, milliseconds(2));
  metrics.on_reply(place, accepted, milliseconds(2));
  metrics.on_reply(pay, conflict, milliseconds(2));
  metrics.on_reply(pay, overloaded, std::chrono::nanoseconds::zero());
  metrics.on_batch(3, 3, 2, milliseconds(2));
  metrics.on_batch(3, 1, 0, milliseconds(1));

  const auto text = render(registry);
  EXPECT_TRUE(has_line(text, R"(orderline_commands_total{code="",result="accepted",type="place_order"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_commands_total{code="version_conflict",result="rejected",type="pay_order"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(orderline_commands_total{code="",result="overloaded",type="pay_order"} 1)")) << text;
  // The refused command never queued: only the three decided ones have a latency.
  EXPECT_TRUE(has_line(text, R"(orderline_command_duration_seconds_count{type="pay_order"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_command_duration_seconds_count{type="place_order"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_events_appended_total{partition="3"} 2)")) << text;
  EXPECT_TRUE(has_line(text, "orderline_command_batch_size_count 2")) << text;
  EXPECT_TRUE(has_line(text, "orderline_command_batch_size_sum 4")) << text;
}

TEST(SagaMetrics, CountsStepsAndOutcomesAndReadsInFlightAtScrape) {
  Metrics all;
  auto* saga = all.saga();
  saga->on_step("reserve_stock", "accepted");
  saga->on_step("reserve_stock", "accepted");
  saga->on_step("authorize", "declined");
  saga->on_outcome("confirmed");
  saga->on_outcome("out_of_stock");
  saga->on_outcome("out_of_stock");
  auto text = all.render();
  EXPECT_TRUE(has_line(text, R"(orderline_saga_steps_total{result="accepted",step="reserve_stock"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_saga_steps_total{result="declined",step="authorize"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_saga_outcomes_total{outcome="out_of_stock"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(orderline_saga_outcomes_total{outcome="confirmed"} 1)")) << text;
  // Without a running saga (--no-saga) the gauges are left out.
  EXPECT_EQ(text.find("orderline_saga_events_in_flight"), std::string::npos) << text;
  all.set_saga_source([] {
    commands::saga::SagaStats stats;
    stats.events_in_flight = 3;
    stats.steps_in_flight = 5;
    stats.timeouts_armed = 7;
    return stats;
  });
  text = all.render();
  EXPECT_TRUE(has_line(text, "orderline_saga_events_in_flight 3")) << text;
  EXPECT_TRUE(has_line(text, "orderline_saga_steps_in_flight 5")) << text;
  EXPECT_TRUE(has_line(text, "orderline_saga_timeouts_armed 7")) << text;
}

TEST(ProjectionLag, EventsAndSecondsBehindEachPartition) {
  projections::ProjectorStats stats;
  stats.projections.push_back({"orders", {10, 4, 7}});
  stats.projections.push_back({"catalogue", {10, 2, 7}});
  const std::vector<std::uint64_t> ends = {10, 6, 7};
  const std::int64_t now = 100'000'000;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> reads;
  auto log_time = [&](std::uint32_t p, std::uint64_t offset) -> std::optional<std::int64_t> {
    reads.emplace_back(p, offset);
    if (offset == 4) return now - 2'500'000;  // 2.5 s old
    return std::nullopt;                       // unreadable
  };
  const auto lags = projection_lags(stats, ends, now, log_time);
  ASSERT_EQ(lags.size(), 6u);
  EXPECT_EQ(lags[0].events, 0u);  // caught up: no lag, no read
  EXPECT_EQ(lags[0].seconds, 0);
  EXPECT_EQ(lags[1].projection, "orders");
  EXPECT_EQ(lags[1].partition, 1u);
  EXPECT_EQ(lags[1].events, 2u);
  EXPECT_DOUBLE_EQ(lags[1].seconds, 2.5);
  EXPECT_EQ(lags[4].projection, "catalogue");
  EXPECT_EQ(lags[4].events, 4u);
  EXPECT_EQ(lags[4].seconds, 0);  // its first unfolded event could not be read: no guess
  // Only the two lagging checkpoints were read, each once.
  EXPECT_EQ(reads, (std::vector<std::pair<std::uint32_t, std::uint64_t>>{{1, 4}, {1, 2}}));
}

TEST(ProcessMetrics, ParsesProcStatWithAnAwkwardCommandName) {
  // Fields 3.. after a name holding spaces and a parenthesis.
  const std::string line =
      "4242 (my (od) d) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 17 0 12345 1048576 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 50u);
  EXPECT_EQ(stat->threads, 17u);
  EXPECT_EQ(stat->start_ticks, 12345u);
  EXPECT_EQ(stat->vsize_bytes, 1048576u);
  EXPECT_EQ(stat->rss_pages, 300u);
  EXPECT_FALSE(parse_proc_stat("4242 (truncated) S 1 2"));
  EXPECT_FALSE(parse_proc_stat("no parenthesis"));
}

TEST(ProcessMetrics, BootTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000u);
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\n"), std::nullopt);
}

TEST(ProcessMetrics, ReadsThisProcess) {
  const auto families = ProcessMetrics().Collect();
  std::map<std::string, double> values;
  for (const auto& f : families) values[f.name] = f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value : f.metric[0].gauge.value;
  EXPECT_GT(values["orderline_process_resident_memory_bytes"], 0);
  EXPECT_GT(values["orderline_process_open_fds"], 2);  // stdin, stdout, stderr at least
  EXPECT_GE(values["orderline_process_threads"], 1);
  EXPECT_TRUE(values.count("orderline_process_cpu_seconds_total"));
  EXPECT_GT(values["orderline_process_start_time_seconds"], 1e9);
}

TEST(Metrics, RendersEveryFamilyOnce) {
  Metrics metrics;
  metrics.http()->on_response("GET", "/healthz", 200, milliseconds(1));
  const auto text = metrics.render();
  for (const char* family : {"orderline_http_requests_total", "orderline_process_resident_memory_bytes"}) {
    const std::string type_line = std::string("# TYPE ") + family;
    const auto first = text.find(type_line);
    EXPECT_NE(first, std::string::npos) << family << "\n" << text;
    EXPECT_EQ(text.find(type_line, first + 1), std::string::npos) << family;
  }
  // Without sources, the engine gauges are left out rather than reported as zeros.
  EXPECT_EQ(text.find("orderline_projection_lag_events"), std::string::npos);
}

}  // namespace
}  // namespace orderline::observability
