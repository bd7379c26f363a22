// `orderctl migrate`: an embedded engine's history moved into Kafka (real broker), in steps
// (--limit, resumed by the next run) and verified; `orderd serve --event-log kafka://...` then
// answers retries with the first outcomes, shows the same orders and events, and a migration
// into topics that hold another history is refused.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#define ORDERCTL_PATH "orderctl"
#endif

namespace orderline {
namespace {

using testing::HttpClient;
using testing::HttpResponse;

std::string order_body(const std::string& customer, const std::string& sku) {
  return R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":")" + sku + R"(","quantity":1}]})";
}

int migrate(const std::string& from, const std::string& url, std::vector<std::string> extra, std::string* out = nullptr) {
  std::vector<std::string> argv = {ORDERCTL_PATH, "migrate", "--from", from, "--to", url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  int status = 0;
  auto output = testing::run_command(argv, &status);
  if (out != nullptr) *out = output;
  return status;
}

TEST(KafkaMigrate, MovesAnEmbeddedHistoryInStepsAndKeepsTheFirstOutcomes) {
  ORDERLINE_REQUIRE_KAFKA();
  testing::TempDir dir;
  const std::string url = "kafka://" + testing::kafka_brokers() + "?prefix=" + testing::unique_topic_prefix("migrate");
  std::string customer;
  std::vector<std::pair<std::string, HttpResponse>> answers;  // (key, first answer)
  HttpResponse paid;
  std::string paid_order;
  {
    // Without the saga, whose commands would race the pay below (the saga is embedded-only).
    testing::OrderdProcess embedded(dir.path() + "/embedded", {"--no-saga"});
    HttpClient http(embedded.port());
    http.set_default_headers(testing::admin_bearer());
    auto created = http.post("/api/v1/customers", R"({"email":"m@example.com","name":"Mig"})");
    ASSERT_EQ(created.status, 201u) << created.body;
    customer = std::string(created.json().at("customer_id").as_string());
    for (int i = 0; i < 8; ++i) {
      const auto key = "migrate-" + std::to_string(i);
      answers.emplace_back(key, http.post("/api/v1/orders", order_body(customer, i == 5 ? "NO-SUCH" : "COFFEE-1KG"),
                                          {{"Idempotency-Key", key}}));
    }
    paid_order = std::string(answers[0].second.json().at("order_id").as_string());
    paid = http.post("/api/v1/orders/" + paid_order + "/pay", "", {{"If-Match", "1"}, {"Idempotency-Key", "pay"}});
    ASSERT_EQ(paid.status, 200u) << paid.body;
  }

  std::string out;
  EXPECT_EQ(migrate(dir.path() + "/embedded", url, {"--limit", "2", "--chunk", "1"}, &out), 2) << out;
  EXPECT_NE(out.find("not complete yet"), std::string::npos) << out;
  EXPECT_EQ(migrate(dir.path() + "/embedded", url, {"--chunk", "3"}, &out), 0) << out;
  EXPECT_NE(out.find("migrated and verified"), std::string::npos) << out;
  EXPECT_EQ(migrate(dir.path() + "/embedded", url, {}, &out), 0) << out;  // again: nothing to move

  testing::OrderdProcess on_kafka(dir.path() + "/kafka", {"--event-log", url});
  HttpClient http(on_kafka.port());
  http.set_default_headers(testing::admin_bearer());
  for (const auto& [key, first] : answers) {
    auto retry = http.post("/api/v1/orders", order_body(customer, key == "migrate-5" ? "NO-SUCH" : "COFFEE-1KG"),
                           {{"Idempotency-Key", key}});
    ASSERT_EQ(retry.status, first.status) << key << ": " << retry.body;
    if (first.status == 201) {
      for (const char* field : {"order_id", "version", "status"}) {
        EXPECT_EQ(retry.json().at(field), first.json().at(field)) << key << " " << field;
      }
    } else {
      EXPECT_EQ(retry.code(), first.code()) << key;
    }
  }
  // The retried pay answers its first outcome although If-Match 1 is stale now.
  auto pay_again = http.post("/api/v1/orders/" + paid_order + "/pay", "", {{"If-Match", "1"}, {"Idempotency-Key", "pay"}});
  ASSERT_EQ(pay_again.status, 200u) << pay_again.body;
  EXPECT_EQ(pay_again.json().at("version"), paid.json().at("version"));
  auto view = http.get("/api/v1/orders/" + paid_order + "?after=" + std::string(pay_again.json().at("position").as_string()));
  ASSERT_EQ(view.status, 200u) << view.body;
  EXPECT_EQ(view.json().at("status").as_string(), "confirmed");
  auto events = http.get("/api/v1/orders/" + paid_order + "/events");
  ASSERT_EQ(events.status, 200u);
  EXPECT_EQ(events.json().at("items").as_array().size(), 2u);

  // Another history into the same topics: refused, nothing written.
  {
    testing::OrderdProcess other(dir.path() + "/other");
    HttpClient client(other.port());
    client.set_default_headers(testing::admin_bearer());
    ASSERT_EQ(client.post("/api/v1/customers", R"({"email":"o@example.com","name":"Other"})").status, 201u);
  }
  EXPECT_EQ(migrate(dir.path() + "/other", url, {}, &out), 1) << out;
}

}  // namespace
}  // namespace orderline
