// `orderd projector postgres` on its operator port, against the real broker and PostgreSQL:
// /readyz says why it is not ready (PostgreSQL unreachable) and turns ready once it folds,
// and /metrics has the PostgreSQL write latency, batch sizes and the projection's lag per
// owned partition, in events and seconds, going to 0 once it has caught up.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "observability/metrics_text.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

using namespace std::chrono_literals;
using observability::has_sample;
using observability::parse_metrics_text;
using observability::sum_of;

class ProjectorOperatorPort : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    ORDERLINE_REQUIRE_KAFKA();
    deployment_.prefix = unique_topic_prefix("projmetrics");
    deployment_.partitions = 2;
  }

  // Starts `orderd projector postgres` with a free operator port; returns that port.
  std::uint16_t start_projector(const std::string& name, const std::string& dsn) {
    const auto port_file = dir_.path() + "/" + name + ".port";
    projector_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{ORDERD_PATH, "projector", "postgres", "--event-log", deployment_.url(), "--partitions",
                                 std::to_string(deployment_.partitions), "--data-dir", dir_.path() + "/" + name, "--pg",
                                 dsn, "--metrics-listen", "127.0.0.1:0", "--port-file", port_file},
        dir_.path() + "/" + name + ".log");
    const auto port = wait_for_port_file(port_file, *projector_);
    EXPECT_GT(port, 0) << projector_->output();
    return port;
  }

  TempDir dir_;
  KafkaDeployment deployment_;
  std::unique_ptr<ChildProcess> projector_;
};

TEST_F(ProjectorOperatorPort, NotReadyWhilePostgresIsUnreachableAndSaysSo) {
  auto processor = start_processor(deployment_, dir_.path(), "a");
  // A port nothing listens on: connection refused.
  const auto port = start_projector("down", "postgresql://postgres@127.0.0.1:1/orderline?connect_timeout=1");
  ASSERT_GT(port, 0);
  HttpClient ops(port);
  EXPECT_EQ(ops.get("/healthz").status, 200u);
  HttpResponse answer;
  // Once the group has assigned its partitions the only failing check is PostgreSQL.
  for (int i = 0; i < 400; ++i) {
    answer = ops.get("/readyz");
    if (answer.status == 503u && answer.json().at("checks").at("partitions") == "ok" &&
        answer.json().at("checks").at("postgres").as_string().starts_with("unreachable")) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(answer.status, 503u) << answer.body;
  EXPECT_EQ(answer.header("retry-after"), "1");
  const auto body = answer.json().as_object();
  EXPECT_EQ(body.at("status"), "not_ready");
  EXPECT_EQ(body.at("checks").at("kafka"), "ok") << answer.body;
  EXPECT_EQ(body.at("checks").at("partitions"), "ok") << answer.body << projector_->output();
  EXPECT_TRUE(body.at("checks").at("postgres").as_string().starts_with("unreachable")) << answer.body;
  EXPECT_NE(std::string(body.at("reason").as_string()).find("PostgreSQL unreachable"), std::string::npos)
      << answer.body;
}

TEST_F(ProjectorOperatorPort, ReadyAndItsLagGoesToZeroOnceItHasFolded) {
  auto processor = start_processor(deployment_, dir_.path(), "a");
  GatewayProcess gateway(deployment_, dir_.path(), 0, {"--demo-catalogue"});
  HttpClient http(gateway.port());
  http.set_default_headers(admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"lag@example.com","name":"Lag"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  constexpr int kOrders = 6;
  for (int i = 0; i < kOrders; ++i) {
    auto r = http.post("/api/v1/orders",
                       R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                       {{"Idempotency-Key", "lag-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201u) << r.body;
  }

  TestDatabase live(postgres_server());
  const auto port = start_projector("live", live.dsn());
  ASSERT_GT(port, 0);
  HttpClient ops(port);
  std::vector<observability::Sample> samples;
  HttpResponse ready;
  for (int i = 0; i < 600; ++i) {
    ready = ops.get("/readyz");
    samples = parse_metrics_text(ops.get("/metrics").body);
    const bool folded = sum_of(samples, "orderline_pg_projection_events_total") > 0 &&
                        has_sample(samples, "orderline_projection_lag_events", {{"projection", "orders"}}) &&
                        sum_of(samples, "orderline_projection_lag_events", {{"projection", "orders"}}) == 0;
    if (ready.status == 200u && folded) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(ready.status, 200u) << ready.body << projector_->output();
  EXPECT_EQ(ready.json().at("checks").at("postgres"), "ok");
  EXPECT_EQ(ready.json().at("checks").at("lag"), "ok");
  EXPECT_EQ(query_value(live.dsn(), "SELECT count(*) FROM orderline.orders"), std::to_string(kOrders));

  // Both partitions are this lone instance's: a lag series for each, in events and seconds.
  for (const std::string partition : {"0", "1"}) {
    const observability::LabelFilter filter{{"projection", "orders"}, {"partition", partition}};
    EXPECT_TRUE(has_sample(samples, "orderline_projection_lag_events", filter)) << partition;
    EXPECT_EQ(sum_of(samples, "orderline_projection_lag_events", filter), 0);
    EXPECT_TRUE(has_sample(samples, "orderline_projection_lag_seconds", filter)) << partition;
    EXPECT_EQ(sum_of(samples, "orderline_projection_lag_seconds", filter), 0);
  }
  // Everything folded went through the transactions the histograms saw: the customer's and
  // the orders' events (the catalogue's too), each batch one observation.
  const double events = sum_of(samples, "orderline_pg_projection_events_total");
  EXPECT_GE(events, kOrders + 1);
  EXPECT_EQ(sum_of(samples, "orderline_pg_projection_batch_size_sum"), events);
  const double batches = sum_of(samples, "orderline_pg_projection_batch_duration_seconds_count");
  EXPECT_GE(batches, 1);
  EXPECT_EQ(sum_of(samples, "orderline_pg_projection_batch_size_count"), batches);
  const double seconds = sum_of(samples, "orderline_pg_projection_batch_duration_seconds_sum");
  EXPECT_GT(seconds, 0);
  EXPECT_LT(seconds / batches, 5.0) << "a loopback PostgreSQL commits a batch in far less than 5 s";
}

}  // namespace
}  // namespace orderline::testing
