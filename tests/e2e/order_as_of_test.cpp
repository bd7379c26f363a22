// GET /api/v1/orders/{id}?as_of=TIME and `orderctl orders show --as-of` against the real
// orderd: the order as it was between its moves equals what the read model answered at that
// moment (same fold, same document), 404 before it existed, 400 for bad times.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "gateway/json_mapping.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/log_time.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

namespace json = boost::json;

using testing::instant_between;

class OrderAsOf : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // Without the saga, so each step of the order is this test's own command at a known instant.
    server_ = new testing::OrderdProcess(dir_->path() + "/data", {"--no-saga"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    http_ = std::make_unique<testing::HttpClient>(server_->port());
    http_->set_default_headers(testing::admin_bearer());
  }

  std::string customer() {
    auto r = http_->post("/api/v1/customers", R"({"email":"h@example.com","name":"Historian"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    auto id = std::string(r.json().at("customer_id").as_string());
    http_->get("/api/v1/customers/" + id + "/orders?after=" + std::string(r.json().at("position").as_string()));
    return id;
  }

  // Runs a command; returns the new position.
  std::string act(const std::string& order_id, const std::string& action, int version) {
    auto r = http_->post("/api/v1/orders/" + order_id + "/" + action, "", {{"If-Match", std::to_string(version)}});
    EXPECT_EQ(r.status, 200u) << action << ": " << r.body;
    return std::string(r.json().at("position").as_string());
  }

  // The read model's document once it has seen `position`.
  json::value live(const std::string& order_id, const std::string& position) {
    auto r = http_->get("/api/v1/orders/" + order_id + "?after=" + position);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json();
  }

  testing::HttpResponse as_of(const std::string& order_id, const std::string& time) {
    return http_->get("/api/v1/orders/" + order_id + "?as_of=" + time);
  }

  static testing::TempDir* dir_;
  static testing::OrderdProcess* server_;
  std::unique_ptr<testing::HttpClient> http_;
};

testing::TempDir* OrderAsOf::dir_ = nullptr;
testing::OrderdProcess* OrderAsOf::server_ = nullptr;

TEST_F(OrderAsOf, EqualsTheStateAtThatTime) {
  const auto who = customer();
  const auto before = instant_between();
  auto placed = http_->post("/api/v1/orders", R"({"customer_id":")" + who +
                                                  R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":2},{"sku":"MUG-CLASSIC","quantity":1}]})",
                            {{"Idempotency-Key", "as-of-1"}});
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto id = std::string(placed.json().at("order_id").as_string());
  const auto at_placed = live(id, std::string(placed.json().at("position").as_string()));
  const auto t0 = instant_between();
  const auto at_paid = live(id, act(id, "pay", 1));
  const auto t1 = instant_between();
  const auto at_shipped = live(id, act(id, "ship", 2));
  const auto t2 = instant_between();
  const auto at_delivered = live(id, act(id, "deliver", 3));

  auto r = as_of(id, before);
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.code(), "not_found");
  EXPECT_NE(r.json().at("detail").as_string().find("did not exist yet"), std::string::npos) << r.body;

  r = as_of(id, t0);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), at_placed);
  r = as_of(id, t1);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), at_paid);  // paid: confirmed, captured, unfulfilled
  EXPECT_EQ(r.json().at("status").as_string(), "confirmed");
  EXPECT_EQ(r.json().at("payment_status").as_string(), "captured");
  EXPECT_EQ(r.json().at("fulfillment_status").as_string(), "unfulfilled");
  EXPECT_EQ(r.json().at("version").as_int64(), 2);
  EXPECT_FALSE(r.has_header("etag"));
  r = as_of(id, t2);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), at_shipped);
  r = as_of(id, "2999-01-01T00:00:00Z");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), at_delivered);

  // A time with an offset and a fraction (percent-encoded '+'), and a bare date.
  r = as_of(id, "2999-01-01T01:00:00.5%2B01:00");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), at_delivered);
  EXPECT_EQ(as_of(id, "2000-01-01").status, 404u);

  // orderctl asks the server, percent-encoding for it.
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
  int status = -1;
  const auto out = testing::run_command({ORDERCTL_PATH, "orders", "show", id, "--as-of", t1, "--url", url, "--token", testing::OrderdProcess::kAdminToken}, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(json::parse(out), at_paid);
  const auto now = testing::run_command({ORDERCTL_PATH, "orders", "show", id, "--url", url, "--token", testing::OrderdProcess::kAdminToken}, &status);
  ASSERT_EQ(status, 0) << now;
  EXPECT_EQ(json::parse(now), at_delivered);
}

TEST_F(OrderAsOf, BadTimesAndUnknownOrders) {
  const auto who = customer();
  auto placed = http_->post("/api/v1/orders", R"({"customer_id":")" + who + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                            {{"Idempotency-Key", "as-of-2"}});
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto id = std::string(placed.json().at("order_id").as_string());
  for (const char* bad : {"yesterday", "2026-02-30T00:00:00Z", "2026-11-29T25:00:00Z", "", "1700000000",
                          "2026-11-29T10:15:30", "%27%3B%20DROP%20TABLE%20orders"}) {
    auto r = as_of(id, bad);
    EXPECT_EQ(r.status, 400u) << bad << ": " << r.body;
    EXPECT_EQ(r.code(), "validation_failed") << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.json().at("errors").at(0).at("field").as_string(), "as_of") << r.body;
  }
  auto r = as_of("no-such-order", "2999-01-01T00:00:00Z");
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.code(), "not_found");

  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
  int status = -1;
  auto out = testing::run_command(
      {"/bin/sh", "-c", std::string(ORDERCTL_PATH) + " orders show " + id + " --as-of tomorrow --url " + url + " --token " + testing::OrderdProcess::kAdminToken + " 2>&1"},
      &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("400 validation_failed"), std::string::npos) << out;
  EXPECT_NE(out.find("as_of"), std::string::npos) << out;
  out = testing::run_command(
      {"/bin/sh", "-c", std::string(ORDERCTL_PATH) + " orders show nope --url " + url + " --token " + testing::OrderdProcess::kAdminToken + " 2>&1"}, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("404 not_found"), std::string::npos) << out;
}

}  // namespace
}  // namespace orderline
