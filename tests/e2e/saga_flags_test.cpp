// `orderd serve`'s saga flags, end to end: a provider that declines everything, one that asks
// every customer to act (completed by `pay`), a short reservation TTL after which an unpaid
// order expires by itself, and `--no-saga`, where `pay` authorises and captures at once.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::OrderdProcess;

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }

class SagaFlags {
 public:
  explicit SagaFlags(std::vector<std::string> flags) : server_(dir_.path() + "/data", std::move(flags)), http_(server_.port()) {
    http_.set_default_headers(testing::admin_bearer());
    auto r = http_.post("/api/v1/customers", R"({"email":"f@example.com","name":"Flags"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    customer_ = str(r.json(), "customer_id");
    http_.get("/api/v1/customers/" + customer_ + "/orders?after=" + str(r.json(), "position"));
  }

  std::string place(const std::string& key) {
    auto r = http_.post("/api/v1/orders",
                        R"({"customer_id":")" + customer_ + R"(","currency":"EUR","lines":[{"sku":"MUG-CLASSIC","quantity":1}]})",
                        {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return str(r.json(), "order_id");
  }

  // The order once `done(order)` holds (bounded wait: the saga works asynchronously).
  template <typename Done>
  json::value wait(const std::string& order_id, Done&& done) {
    json::value order;
    for (int i = 0; i < 3000; ++i) {
      auto r = http_.get("/api/v1/orders/" + order_id);
      if (r.status == 200) {  // 404 until the read model has the order
        order = r.json();
        if (done(order)) return order;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "order " << order_id << " stuck at " << json::serialize(order);
    return order;
  }

  HttpClient& http() { return http_; }

 private:
  testing::TempDir dir_;
  OrderdProcess server_;
  HttpClient http_;
  std::string customer_;
};

TEST(SagaFlags, ADecliningProviderCancelsTheOrder) {
  SagaFlags s({"--payment-decline-rate", "1"});
  const auto id = s.place("declined-1");
  auto order = s.wait(id, [](const json::value& o) { return str(o, "status") != "placed"; });
  EXPECT_EQ(str(order, "status"), "cancelled");
  EXPECT_EQ(str(order, "payment_status"), "failed");
}

TEST(SagaFlags, RequiresActionIsCompletedByPay) {
  SagaFlags s({"--payment-requires-action-rate", "1", "--payment-latency-ms", "5"});
  const auto id = s.place("action-1");
  auto order = s.wait(id, [](const json::value& o) { return str(o, "payment_status") == "requires_action"; });
  EXPECT_EQ(str(order, "status"), "placed");
  auto paid = s.http().post("/api/v1/orders/" + id + "/pay", "");
  ASSERT_EQ(paid.status, 200u) << paid.body;
  order = s.wait(id, [](const json::value& o) { return str(o, "status") != "placed"; });
  EXPECT_EQ(str(order, "status"), "confirmed");
  EXPECT_EQ(str(order, "payment_status"), "authorized");
}

TEST(SagaFlags, AnUnpaidOrderExpiresAfterTheReservationTtl) {
  SagaFlags s({"--payment-requires-action-rate", "1", "--reservation-ttl-s", "1"});
  const auto id = s.place("expires-1");
  auto order = s.wait(id, [](const json::value& o) { return str(o, "status") != "placed"; });
  EXPECT_EQ(str(order, "status"), "expired");
  EXPECT_EQ(str(order, "payment_status"), "voided");
}

TEST(SagaFlags, WithoutTheSagaPayAuthorisesAndCaptures) {
  SagaFlags s({"--no-saga"});
  const auto id = s.place("no-saga-1");
  auto placed = s.wait(id, [](const json::value&) { return true; });
  EXPECT_EQ(str(placed, "status"), "placed");
  auto paid = s.http().post("/api/v1/orders/" + id + "/pay", "", {{"If-Match", "1"}});
  ASSERT_EQ(paid.status, 200u) << paid.body;
  EXPECT_EQ(str(paid.json(), "status"), "confirmed");
  auto order = s.wait(id, [](const json::value& o) { return str(o, "payment_status") == "captured"; });
  EXPECT_EQ(str(order, "status"), "confirmed");
}

}  // namespace
}  // namespace orderline
