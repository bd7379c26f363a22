// What `orderctl top` computes from two scrapes: rates from counter deltas, latency quantiles
// of the interval's bucket deltas, queue and lag gauges.
#include <gtest/gtest.h>

#include "cli/top_view.h"

namespace orderline::cli {
namespace {

using namespace std::chrono_literals;

Scrape scrape_at(std::chrono::steady_clock::time_point at, const std::string& text) {
  return {at, observability::parse_metrics_text(text)};
}

std::string metrics(int orders, int rejected, int server_errors, int fast, int slow, double cpu) {
  const int all = fast + slow;
  return "orderline_commands_total{code=\"\",result=\"accepted\",type=\"place_order\"} " + std::to_string(orders) + "\n" +
         "orderline_commands_total{code=\"out_of_stock\",result=\"rejected\",type=\"place_order\"} " +
         std::to_string(rejected) + "\n" +
         "orderline_http_requests_total{method=\"POST\",route=\"/api/v1/orders\",status=\"201\"} " +
         std::to_string(orders) + "\n" +
         "orderline_http_requests_total{method=\"POST\",route=\"/api/v1/orders\",status=\"503\"} " +
         std::to_string(server_errors) + "\n" +
         // fast requests take <= 1 ms, slow ones <= 100 ms
         "orderline_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/orders\",le=\"0.001\"} " +
         std::to_string(fast) + "\n" +
         "orderline_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/orders\",le=\"0.1\"} " +
         std::to_string(all) + "\n" +
         "orderline_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/orders\",le=\"+Inf\"} " +
         std::to_string(all) + "\n" +
         "orderline_command_queue_depth{partition=\"0\"} 3\n"
         "orderline_command_queue_depth{partition=\"5\"} 40\n"
         "orderline_command_queue_capacity 4096\n"
         "orderline_projection_lag_events{partition=\"0\",projection=\"order_details\"} 7\n"
         "orderline_projection_lag_events{partition=\"1\",projection=\"order_details\"} 5\n"
         "orderline_projection_lag_seconds{partition=\"0\",projection=\"order_details\"} 0.5\n"
         "orderline_projection_lag_seconds{partition=\"1\",projection=\"order_details\"} 1.5\n"
         "orderline_projection_lag_events{partition=\"0\",projection=\"catalogue\"} 0\n"
         "orderline_projection_lag_seconds{partition=\"0\",projection=\"catalogue\"} 0\n"
         "orderline_process_cpu_seconds_total " + std::to_string(cpu) + "\n" +
         "orderline_process_resident_memory_bytes 104857600\n";
}

TEST(TopView, RatesAndLatencyOfTheInterval) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  // Before: 1000 fast requests. During 2 s: 200 more orders, 100 of them slow.
  const auto earlier = scrape_at(t0, metrics(1000, 10, 0, 1000, 0, 5.0));
  const auto latest = scrape_at(t0 + 2s, metrics(1200, 30, 4, 1100, 100, 6.0));
  const auto frame = compute_top_frame(&earlier, latest);
  EXPECT_DOUBLE_EQ(*frame.orders_per_s, 100);
  EXPECT_DOUBLE_EQ(*frame.requests_per_s, 102);
  EXPECT_DOUBLE_EQ(*frame.errors_per_s, 2);
  EXPECT_DOUBLE_EQ(*frame.rejected_per_s, 10);
  EXPECT_DOUBLE_EQ(*frame.cpu_cores, 0.5);
  // Half of the interval's requests were slow: its p99 is in the slow bucket, though over the
  // process's whole life the slow ones are fewer than 10 %.
  ASSERT_TRUE(frame.checkout_p99);
  EXPECT_GT(*frame.checkout_p99, 0.001);
  EXPECT_LE(*frame.checkout_p50, 0.001);
  EXPECT_EQ(frame.queued, 43);
  EXPECT_EQ(frame.busiest_queue, 40);
  EXPECT_EQ(frame.busiest_partition, "5");
  EXPECT_EQ(frame.queue_capacity, 4096);
  ASSERT_EQ(frame.lags.size(), 2u);
  EXPECT_EQ(frame.lags[0].projection, "catalogue");
  EXPECT_EQ(frame.lags[1].projection, "order_details");
  EXPECT_EQ(frame.lags[1].events, 12);
  EXPECT_EQ(frame.lags[1].seconds, 1.5);  // the worst partition

  const auto text = render_top_frame(frame, "http://127.0.0.1:8080");
  EXPECT_NE(text.find("orders/s    100.0"), std::string::npos) << text;
  EXPECT_NE(text.find("order_details"), std::string::npos) << text;
  EXPECT_NE(text.find("RSS 100.0 MiB"), std::string::npos) << text;
}

TEST(TopView, WithoutAnEarlierScrapeThereAreNoRates) {
  const auto latest = scrape_at(std::chrono::steady_clock::now(), metrics(10, 0, 0, 10, 0, 1.0));
  const auto frame = compute_top_frame(nullptr, latest);
  EXPECT_FALSE(frame.orders_per_s);
  EXPECT_FALSE(frame.checkout_p99);
  EXPECT_EQ(frame.queued, 43);
  EXPECT_NE(render_top_frame(frame, "u").find("orders/s        -"), std::string::npos) << render_top_frame(frame, "u");
}

TEST(TopView, ARestartedServerShowsZeroNotNegativeRates) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto earlier = scrape_at(t0, metrics(5000, 0, 0, 5000, 0, 50.0));
  const auto latest = scrape_at(t0 + 1s, metrics(3, 0, 0, 3, 0, 0.1));
  const auto frame = compute_top_frame(&earlier, latest);
  EXPECT_EQ(*frame.orders_per_s, 0);
  EXPECT_EQ(*frame.cpu_cores, 0);
}

}  // namespace
}  // namespace orderline::cli
