// `orderd serve --event-log kafka://...` against the real broker: the same HTTP API and
// projections as the embedded mode, with Kafka as the log. A second server on a fresh data
// directory restores everything from the topics (index, read models), answers a retried
// command with its first outcome, and a server configured for another partition count
// refuses to start.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }
std::int64_t num(const json::value& v, std::string_view key) { return v.at(key).to_number<std::int64_t>(); }

class KafkaServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    url_ = "kafka://" + testing::kafka_brokers() + "?prefix=" + testing::unique_topic_prefix("serve");
  }
  // Without the saga: `pay` then authorises and captures at once, which this test retries
  // (the saga on Kafka has api_test_kafka and saga_flash_sale_test).
  std::unique_ptr<testing::OrderdProcess> start(const std::string& data_dir, const std::string& partitions = "2") {
    return std::make_unique<testing::OrderdProcess>(
        dir_.path() + "/" + data_dir, std::vector<std::string>{"--event-log", url_, "--partitions", partitions, "--no-saga"});
  }

  testing::TempDir dir_;
  std::string url_;
};

TEST_F(KafkaServeTest, PlacePayReadBackAndRetryAfterARestartOnAFreshDirectory) {
  const std::string order_body_template = R"({"customer_id":"CUSTOMER","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":2}]})";
  json::value placed, paid;
  std::string customer, order_id, placed_raw, paid_raw;
  {
    auto server = start("first");
    HttpClient http(server->port());
    http.set_default_headers(testing::admin_bearer());
    auto ready = http.get("/readyz");
    ASSERT_EQ(ready.status, 200u) << ready.body;
    auto created = http.post("/api/v1/customers", R"({"email":"ada@example.com","name":"Ada"})");
    ASSERT_EQ(created.status, 201u) << created.body << server->output();
    customer = str(created.json(), "customer_id");

    std::string body = order_body_template;
    body.replace(body.find("CUSTOMER"), 8, customer);
    auto r = http.post("/api/v1/orders", body, {{"Idempotency-Key", "kafka-serve-1"}});
    ASSERT_EQ(r.status, 201u) << r.body << server->output();
    placed_raw = r.body;
    placed = r.json();
    order_id = str(placed, "order_id");
    EXPECT_EQ(num(placed, "version"), 1);

    auto pay = http.post("/api/v1/orders/" + order_id + "/pay", "", {{"If-Match", "1"}, {"Idempotency-Key", "pay-1"}});
    ASSERT_EQ(pay.status, 200u) << pay.body;
    paid_raw = pay.body;
    paid = pay.json();
    EXPECT_EQ(num(paid, "version"), 2);
    EXPECT_EQ(str(paid, "status"), "confirmed");

    auto view = http.get("/api/v1/orders/" + order_id + "?after=" + str(paid, "position"));
    ASSERT_EQ(view.status, 200u) << view.body;
    EXPECT_EQ(str(view.json(), "status"), "confirmed");
    EXPECT_EQ(str(view.json(), "payment_status"), "captured");
    EXPECT_EQ(num(view.json().at("total"), "amount_minor"), 2 * 1999);

    auto events = http.get("/api/v1/orders/" + order_id + "/events");
    ASSERT_EQ(events.status, 200u) << events.body;
    EXPECT_EQ(events.json().at("items").as_array().size(), 2u);
  }

  // A fresh data directory: nothing local survives, the topics are the only source.
  auto server = start("second");
  HttpClient http(server->port());
  http.set_default_headers(testing::admin_bearer());
  std::string body = order_body_template;
  body.replace(body.find("CUSTOMER"), 8, customer);
  auto retry = http.post("/api/v1/orders", body, {{"Idempotency-Key", "kafka-serve-1"}});
  ASSERT_EQ(retry.status, 201u) << retry.body << server->output();
  EXPECT_EQ(retry.json(), placed) << "first: " << placed_raw << "\nretry: " << retry.body;
  // If-Match 1 is stale now; the retried pay must still answer its first outcome, not 409.
  auto pay_again = http.post("/api/v1/orders/" + order_id + "/pay", "", {{"If-Match", "1"}, {"Idempotency-Key", "pay-1"}});
  ASSERT_EQ(pay_again.status, 200u) << pay_again.body;
  EXPECT_EQ(pay_again.json(), paid) << "first: " << paid_raw << "\nretry: " << pay_again.body;

  // The read models were rebuilt from the topics, and no event was written twice.
  auto view = http.get("/api/v1/orders/" + order_id + "?after=" + str(paid, "position"));
  ASSERT_EQ(view.status, 200u) << view.body;
  EXPECT_EQ(str(view.json(), "status"), "confirmed");
  EXPECT_EQ(num(view.json(), "version"), 2);
  auto events = http.get("/api/v1/orders/" + order_id + "/events");
  ASSERT_EQ(events.status, 200u) << events.body;
  EXPECT_EQ(events.json().at("items").as_array().size(), 2u);
  // The catalogue the first server seeded is projected from the topics too.
  auto coffee = http.get("/api/v1/products/COFFEE-1KG");
  ASSERT_EQ(coffee.status, 200u) << coffee.body;
}

TEST_F(KafkaServeTest, RefusesToStartWhenTheTopicsHaveAnotherPartitionCount) {
  { auto server = start("first", "2"); }
  try {
    auto server = start("second", "3");
    FAIL() << "orderd started with 3 partitions on topics of 2";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("partitions"), std::string::npos) << message;
    EXPECT_NE(message.find("exited during start-up"), std::string::npos) << message;
  }
}

TEST_F(KafkaServeTest, RefusesABadEventLogUrl) {
  try {
    testing::OrderdProcess server(dir_.path() + "/bad", {"--event-log", "kafka://nohost"});
    FAIL() << "orderd started with a bad URL";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("HOST:PORT"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace orderline
