// GET /metrics of a real orderd: the text passes `promtool check metrics`, and the key series
// move by exactly what the test did (orders placed, events appended, projections caught up).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "eventstore/position.h"
#include "observability/metrics_text.h"
#include "tests/support/auth.h"
#include "tests/support/deploy_metric_names.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERLINE_SOURCE_DIR
#error "ORDERLINE_SOURCE_DIR must point at the source tree"
#endif

namespace orderline {
namespace {

namespace json = boost::json;
using observability::has_sample;
using observability::parse_metrics_text;
using observability::Sample;
using observability::sum_of;

constexpr int kOrders = 5;

class MetricsScrape : public ::testing::Test {
 protected:
  // Without the saga: its own commands, sent asynchronously, would move the counters this
  // test compares with what it did (the saga's metrics have their own tests).
  MetricsScrape() : server_(dir_.path() + "/data", {"--no-saga"}), http_(server_.port()) {
    http_.set_default_headers(testing::admin_bearer());
  }

  std::string scrape_text() {
    auto r = http_.get("/metrics");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }
  std::vector<Sample> scrape() { return parse_metrics_text(scrape_text()); }

  // Places an order for a new customer; returns the command answer. Both writes' positions
  // join written_.
  json::value place_order(const std::string& key) {
    auto customer = http_.post("/api/v1/customers", R"({"email":"m@example.com","name":"M"})");
    EXPECT_EQ(customer.status, 201u) << customer.body;
    remember(customer.json());
    const std::string customer_id(customer.json().at("customer_id").as_string());
    auto r = http_.post("/api/v1/orders",
                        R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                        {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    remember(r.json());
    return r.json();
  }

  void remember(const json::value& answer) {
    if (auto p = eventstore::decode_position(std::string(answer.at("position").as_string()))) written_.merge_max(*p);
  }

  // Waits (bounded by the server's read wait) until the read models have folded every write
  // this test made, on every partition it touched.
  void wait_for_read_models(const std::string& order_id) {
    auto r = http_.get("/api/v1/orders/" + order_id + "?after=" + eventstore::encode_position(written_));
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  testing::TempDir dir_;
  testing::OrderdProcess server_;
  testing::HttpClient http_;
  eventstore::PositionVector written_;
};

TEST_F(MetricsScrape, PassesPromtoolCheckMetrics) {
  place_order("lint-1");
  const auto path = dir_.path() + "/metrics.txt";
  std::ofstream(path) << scrape_text();
  int status = -1;
  // promtool reads the exposition from stdin and prints every lint problem; nothing is the pass.
  const auto problems = testing::run_command({"/bin/sh", "-c", "promtool check metrics < '" + path + "' 2>&1"}, &status);
  EXPECT_EQ(status, 0) << problems;
  EXPECT_EQ(problems, "") << problems;
}

TEST_F(MetricsScrape, CountersMoveByWhatWasDone) {
  const auto before = scrape();
  std::string order_id;
  for (int i = 0; i < kOrders; ++i) {
    auto placed = place_order("move-" + std::to_string(i));
    order_id = std::string(placed.at("order_id").as_string());
  }
  // A rejected command, counted under its code.
  auto rejected = http_.post("/api/v1/orders",
                             R"({"customer_id":"nobody","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                             {{"Idempotency-Key", "move-rejected"}});
  ASSERT_EQ(rejected.status, 422u) << rejected.body;
  ASSERT_NO_FATAL_FAILURE(wait_for_read_models(order_id));
  const auto after = scrape();

  auto delta = [&](std::string_view name, const observability::LabelFilter& filter = {}) {
    return sum_of(after, name, filter) - sum_of(before, name, filter);
  };
  EXPECT_EQ(delta("orderline_commands_total", {{"type", "place_order"}, {"result", "accepted"}}), kOrders);
  EXPECT_EQ(delta("orderline_commands_total", {{"type", "register_customer"}, {"result", "accepted"}}), kOrders);
  EXPECT_EQ(delta("orderline_commands_total", {{"type", "place_order"}, {"result", "rejected"}, {"code", "unknown_customer"}}), 1);
  EXPECT_EQ(delta("orderline_http_requests_total", {{"route", "/api/v1/orders"}, {"method", "POST"}, {"status", "201"}}),
            kOrders);
  EXPECT_EQ(delta("orderline_http_requests_total", {{"route", "/api/v1/orders"}, {"method", "POST"}, {"status", "422"}}), 1);
  // The order read used its route template, not its path.
  EXPECT_TRUE(has_sample(after, "orderline_http_requests_total", {{"route", "/api/v1/orders/{order_id}"}}));
  EXPECT_FALSE(has_sample(after, "orderline_http_requests_total", {{"route", "/api/v1/orders/" + order_id}}));
  EXPECT_EQ(delta("orderline_http_request_duration_seconds_count", {{"route", "/api/v1/orders"}, {"method", "POST"}}),
            kOrders + 1);
  EXPECT_EQ(delta("orderline_command_duration_seconds_count", {{"type", "place_order"}}), kOrders + 1);

  // Events counted by the appender match the log's own end offsets, and the projector folded
  // every one of them.
  const double appended = delta("orderline_events_appended_total");
  EXPECT_GE(appended, 2 * kOrders);  // a registration and an order each
  EXPECT_EQ(appended, delta("orderline_event_log_end_offset"));
  EXPECT_EQ(delta("orderline_projection_events_total"), appended);
  EXPECT_GE(delta("orderline_command_batch_size_sum"), 2 * kOrders + 1);
  EXPECT_GE(delta("orderline_event_log_append_duration_seconds_count"), 1);

  // Caught up: no lag on any projection or partition, in events or in seconds.
  ASSERT_TRUE(has_sample(after, "orderline_projection_lag_events", {{"projection", "order_details"}}));
  for (const auto& s : after) {
    if (s.name == "orderline_projection_lag_events" || s.name == "orderline_projection_lag_seconds") {
      EXPECT_EQ(s.value, 0) << s.name << " " << s.labels.at("projection") << "/" << s.labels.at("partition");
    }
  }
  EXPECT_EQ(sum_of(after, "orderline_command_queue_depth"), 0);
  EXPECT_EQ(sum_of(after, "orderline_command_queue_capacity"), 4096);
  EXPECT_GT(sum_of(after, "orderline_process_resident_memory_bytes"), 0);
  EXPECT_GT(sum_of(after, "orderline_process_open_fds"), 0);
  EXPECT_GT(sum_of(after, "orderline_process_cpu_seconds_total"), 0);
}

// The orderline_* names in the files under `folder` (alert rules, dashboards), comment lines
// skipped, histogram series suffixes removed.
TEST_F(MetricsScrape, AlertsAndDashboardsUseExportedMetrics) {
  place_order("names-1");
  const auto text = scrape_text();
  const std::string deploy = std::string(ORDERLINE_SOURCE_DIR) + "/deploy";
  const auto used = testing::metric_names_used_in_deploy(deploy);
  ASSERT_GT(testing::metric_names_used_under(deploy + "/grafana/dashboards").size(), 5u);
  for (const auto& name : used) {
    // Exported by other processes, and checked there: the saga's by a server with the saga
    // (below), the Kafka clients' by `orderd processor` and the gateway's round trip by
    // `orderd gateway` (kafka_metrics_test).
    if (name.starts_with("orderline_saga_") || name.starts_with("orderline_kafka_") ||
        name.starts_with("orderline_gateway_")) {
      continue;
    }
    EXPECT_NE(text.find("# TYPE " + name + " "), std::string::npos) << name << " is used but not exported";
  }
}

TEST(MetricsWithSaga, AlertsAndDashboardsUseExportedSagaMetrics) {
  testing::TempDir dir;
  testing::OrderdProcess server(dir.path() + "/data", {});
  testing::HttpClient http(server.port());
  http.set_default_headers(testing::admin_bearer());
  // The saga's counters have series (and are exported) once it has run an order.
  auto customer = http.post("/api/v1/customers", R"({"email":"s@example.com","name":"S"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  auto order = http.post("/api/v1/orders",
                         R"({"customer_id":")" + std::string(customer.json().at("customer_id").as_string()) +
                             R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                         {{"Idempotency-Key", "saga-names"}});
  ASSERT_EQ(order.status, 201u) << order.body;
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = http.get("/metrics").body;
    if (text.find("orderline_saga_outcomes_total{") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string deploy = std::string(ORDERLINE_SOURCE_DIR) + "/deploy";
  int saga_names = 0;
  for (const auto& name : testing::metric_names_used_in_deploy(deploy)) {
    if (!name.starts_with("orderline_saga_")) continue;
    ++saga_names;
    EXPECT_NE(text.find("# TYPE " + name + " "), std::string::npos) << name << " is used but not exported";
  }
  EXPECT_GE(saga_names, 4);
}

TEST_F(MetricsScrape, ReadinessNamesItsChecks) {
  auto r = http_.get("/readyz");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("checks"), json::parse(R"({"event_log":"ok","read_models":"ok"})")) << r.body;
}

TEST(MetricsOff, NoMetricsMeansNoRoute) {
  testing::TempDir dir;
  testing::OrderdProcess server(dir.path() + "/data", {"--no-metrics"});
  testing::HttpClient http(server.port());
  auto r = http.get("/metrics");
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.code(), "not_found");
}

}  // namespace
}  // namespace orderline
