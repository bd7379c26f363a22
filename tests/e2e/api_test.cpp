// The v1 API against the real `orderd serve` binary (the order saga on, as by default): order
// lifecycles, idempotency, optimistic concurrency, every kind of bad input (each checked to
// have appended nothing), and the staff catalogue routes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "gateway/request_ids.h"
#include "tests/support/auth.h"
#include "tests/support/e2e_server.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::HttpResponse;

const testing::HeaderList kStaff = testing::admin_bearer();
const testing::HeaderList kNoAuth = {{"Authorization", ""}};

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }
std::int64_t num(const json::value& v, std::string_view key) { return v.at(key).to_number<std::int64_t>(); }

std::string lines_body(const std::string& customer_id, const std::string& currency, const std::string& lines) {
  return R"({"customer_id":")" + customer_id + R"(","currency":")" + currency + R"(","lines":)" + lines + "}";
}

std::string order_body(const std::string& customer_id, const std::string& sku = "COFFEE-1KG", int quantity = 2) {
  return lines_body(customer_id, "EUR", R"([{"sku":")" + sku + R"(","quantity":)" + std::to_string(quantity) + "}]");
}

// Order id the gateway derives from an Idempotency-Key (the admin service principal).
std::string order_id_for_key(const std::string& key) {
  return gateway::uuid_v5(gateway::kIdNamespace, std::string("service:admin") + "\n" + key);
}

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // ORDERLINE_E2E_EVENT_LOG=kafka (ctest's api_test_kafka) runs the same suite with Kafka as
    // the event log, on topics of its own; =distributed (api_test_distributed): `orderd
    // processor`, `orderd saga` and `orderd gateway` as separate processes on Kafka
    // (tests/support/e2e_server.h).
    server_ = new testing::E2eServer(dir_->path(), "api");
    port_ = server_->port();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    client_ = std::make_unique<HttpClient>(port_);
    // These tests drive the engine as the admin service; tests/e2e/auth_test.cpp covers roles.
    client_->set_default_headers(testing::admin_bearer());
  }

  HttpClient& http() { return *client_; }

  void expect_problem(const HttpResponse& r, unsigned status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.code(), code) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
  }

  // Registers a customer and waits until the read models know it.
  std::string new_customer(const std::string& name = "Ada Lovelace") {
    auto r = http().post("/api/v1/customers", R"({"email":"ada@example.com","name":")" + name + R"("})");
    EXPECT_EQ(r.status, 201u) << r.body;
    auto body = r.json();
    const auto id = str(body, "customer_id");
    auto list = http().get("/api/v1/customers/" + id + "/orders?after=" + str(body, "position"));
    EXPECT_EQ(list.status, 200u) << list.body;
    return id;
  }

  // Places an order and returns the command answer; the order is readable afterwards.
  json::value place(const std::string& customer_id, const std::string& key, const std::string& sku = "COFFEE-1KG",
                    int quantity = 2) {
    auto r = http().post("/api/v1/orders", order_body(customer_id, sku, quantity), {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.json();
  }

  json::value order_after(const std::string& order_id, const std::string& position) {
    auto r = http().get("/api/v1/orders/" + order_id + "?after=" + position);
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json();
  }

  json::value act(const std::string& order_id, const std::string& action, std::int64_t if_match = -1,
                  unsigned expected_status = 200, const std::string& body = "") {
    testing::HeaderList headers;
    if (if_match >= 0) headers.emplace_back("If-Match", std::to_string(if_match));
    auto r = http().post("/api/v1/orders/" + order_id + "/" + action, body, headers);
    EXPECT_EQ(r.status, expected_status) << action << ": " << r.body;
    return r.json();
  }

  // Waits (bounded) until the saga has moved the order to `status`; returns the order.
  json::value wait_for_status(const std::string& order_id, std::string_view status) {
    json::value last;
    for (int i = 0; i < 2000; ++i) {
      auto r = http().get("/api/v1/orders/" + order_id);
      if (r.status == 200) {
        last = r.json();
        if (last.at("status").as_string() == status) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "order " << order_id << " never reached " << status << ": " << json::serialize(last);
    return last;
  }

  // Types of an order's events, in order (read from the log: no projection lag).
  std::vector<std::string> event_types(const std::string& order_id) {
    std::vector<std::string> types;
    auto r = http().get("/api/v1/orders/" + order_id + "/events");
    if (r.status != 200) return types;
    const auto doc = r.json();
    for (const auto& item : doc.at("items").as_array()) types.push_back(str(item, "type"));
    return types;
  }

  // Number of events of an order's stream (read from the log: no projection lag).
  std::size_t event_count(const std::string& order_id) {
    auto r = http().get("/api/v1/orders/" + order_id + "/events");
    if (r.status == 404) return 0;
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().at("items").as_array().size();
  }

  std::size_t customer_order_count(const std::string& customer_id, const std::string& after = "") {
    auto r = http().get("/api/v1/customers/" + customer_id + "/orders?limit=200" +
                        (after.empty() ? "" : "&after=" + after));
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().at("items").as_array().size();
  }

  static testing::TempDir* dir_;
  static testing::E2eServer* server_;
  static std::uint16_t port_;
  std::unique_ptr<HttpClient> client_;
};

testing::TempDir* ApiTest::dir_ = nullptr;
testing::E2eServer* ApiTest::server_ = nullptr;
std::uint16_t ApiTest::port_ = 0;

TEST_F(ApiTest, HealthAndTheSeededCatalogue) {
  EXPECT_EQ(http().get("/healthz").status, 200u);
  auto ready = http().get("/readyz");
  EXPECT_EQ(ready.status, 200u) << ready.body;
  auto coffee = http().get("/api/v1/products/COFFEE-1KG");
  ASSERT_EQ(coffee.status, 200u) << coffee.body;
  auto body = coffee.json();
  EXPECT_EQ(num(body.at("price"), "amount_minor"), 1999);
  EXPECT_EQ(str(body.at("price"), "currency"), "EUR");
  EXPECT_TRUE(body.at("active").as_bool());
  auto list = http().get("/api/v1/products?limit=2");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.json().at("items").as_array().size(), 2u);
  EXPECT_TRUE(list.json().at("next_cursor").is_string());
  auto rest = http().get("/api/v1/products?cursor=" + str(list.json(), "next_cursor"));
  ASSERT_EQ(rest.status, 200u);
  EXPECT_GE(rest.json().at("items").as_array().size(), 1u);
  expect_problem(http().get("/api/v1/products/NO-SUCH-SKU"), 404, "not_found");
}

TEST_F(ApiTest, AnOrderFromPlacementToReturn) {
  const auto customer = new_customer();
  auto placed = place(customer, "lifecycle-1");
  const auto order_id = str(placed, "order_id");
  EXPECT_EQ(order_id, order_id_for_key("lifecycle-1"));
  EXPECT_EQ(num(placed, "version"), 1);
  EXPECT_EQ(str(placed, "status"), "placed");

  auto view = order_after(order_id, str(placed, "position"));
  EXPECT_EQ(str(view, "order_id"), order_id);
  EXPECT_EQ(str(view, "customer_id"), customer);
  // At least the placement; the saga may already have moved it on (it runs in milliseconds).
  const auto first_status = str(view, "status");
  EXPECT_TRUE(first_status == "placed" || first_status == "confirmed") << first_status;
  EXPECT_EQ(str(view, "fulfillment_status"), "unfulfilled");
  EXPECT_EQ(num(view.at("total"), "amount_minor"), 2 * 1999);
  ASSERT_EQ(view.at("lines").as_array().size(), 1u);
  const auto& line = view.at("lines").at(0);
  EXPECT_EQ(str(line, "sku"), "COFFEE-1KG");
  EXPECT_EQ(num(line, "quantity"), 2);
  EXPECT_EQ(num(line.at("unit_price"), "amount_minor"), 1999);
  EXPECT_GE(num(view, "version"), 1);
  EXPECT_EQ(str(view, "created_at").back(), 'Z');

  // The saga reserves the stock, authorises the payment and confirms, by itself.
  view = wait_for_status(order_id, "confirmed");
  EXPECT_EQ(str(view, "payment_status"), "authorized");
  EXPECT_EQ(num(view, "version"), 3);  // placed, stock reserved, confirmed
  // `pay` is for completing a payment the provider asked the customer to act on; none here.
  expect_problem(http().post("/api/v1/orders/" + order_id + "/pay", ""), 409, "invalid_transition");

  auto shipped = act(order_id, "ship", 3);
  EXPECT_EQ(num(shipped, "version"), 4);
  auto delivered = act(order_id, "deliver", 4);
  EXPECT_EQ(str(delivered, "status"), "completed");
  auto returned = act(order_id, "return", 5, 200, R"({"reason":"too strong"})");
  EXPECT_EQ(str(returned, "status"), "return_requested");
  const auto return_id = str(returned, "return_id");
  ASSERT_FALSE(return_id.empty());
  auto received = act(order_id, "returns/" + return_id + "/receive", 6);
  EXPECT_EQ(str(received, "status"), "returned");
  EXPECT_EQ(num(received, "version"), 7);

  view = order_after(order_id, str(received, "position"));
  EXPECT_EQ(str(view, "status"), "returned");
  EXPECT_EQ(str(view, "payment_status"), "refunded");
  EXPECT_EQ(str(view, "fulfillment_status"), "delivered");
  EXPECT_EQ(num(view, "version"), 7);

  auto events = http().get("/api/v1/orders/" + order_id + "/events");
  ASSERT_EQ(events.status, 200u);
  const auto doc = events.json();
  const auto& items = doc.at("items").as_array();
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(str(items[0], "type"), "OrderPlaced");
  EXPECT_EQ(str(items[1], "type"), "OrderStockReserved");
  EXPECT_EQ(str(items[2], "type"), "OrderConfirmed");
  EXPECT_EQ(str(items[3], "type"), "OrderShipped");
  EXPECT_EQ(str(items[0].at("data"), "order_id"), order_id);
  EXPECT_EQ(num(items[0].at("data").at("total"), "amount_minor"), 2 * 1999);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(num(items[i], "stream_version"), static_cast<std::int64_t>(i + 1));
    EXPECT_FALSE(str(items[i], "position").empty());
  }
  EXPECT_TRUE(doc.at("next_cursor").is_null());

  EXPECT_EQ(customer_order_count(customer, str(received, "position")), 1u);
}

TEST_F(ApiTest, CancellingAndTheMovesItForbids) {
  const auto customer = new_customer();
  auto placed = place(customer, "cancel-1", "TEA-GREEN-250", 1);
  const auto order_id = str(placed, "order_id");
  // Cancelled while the saga works on it, or just after it confirmed: either way cancelled.
  auto cancelled = act(order_id, "cancel", -1, 200, R"({"reason":"changed my mind"})");
  EXPECT_EQ(str(cancelled, "status"), "cancelled");
  const auto events = event_count(order_id);
  // A cancelled order does not ship, and is not paid.
  expect_problem(http().post("/api/v1/orders/" + order_id + "/ship", ""), 409, "invalid_transition");
  expect_problem(http().post("/api/v1/orders/" + order_id + "/pay", ""), 409, "invalid_transition");
  const auto types = event_types(order_id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "OrderCancelled"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "OrderShipped"), 0);
  EXPECT_GE(types.size(), events);
  EXPECT_EQ(str(order_after(order_id, str(cancelled, "position")), "status"), "cancelled");

  // A shipped order does not cancel.
  auto other = str(place(customer, "cancel-2", "MUG-CLASSIC", 1), "order_id");
  wait_for_status(other, "confirmed");
  act(other, "ship");
  expect_problem(http().post("/api/v1/orders/" + other + "/cancel", ""), 409, "invalid_transition");
  EXPECT_EQ(event_count(other), 4u);  // placed, stock reserved, confirmed, shipped
}

TEST_F(ApiTest, RetriesWithTheSameKeyGetTheSameAnswer) {
  const auto customer = new_customer();
  auto first = http().post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", "retry-1"}});
  ASSERT_EQ(first.status, 201u) << first.body;
  auto again = http().post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", "retry-1"}});
  ASSERT_EQ(again.status, 201u) << again.body;
  EXPECT_EQ(str(first.json(), "order_id"), str(again.json(), "order_id"));
  EXPECT_EQ(num(first.json(), "version"), num(again.json(), "version"));
  EXPECT_EQ(str(first.json(), "position"), str(again.json(), "position"));
  const auto order_id = str(first.json(), "order_id");
  auto placements = [&] {
    const auto types = event_types(order_id);
    return std::count(types.begin(), types.end(), "OrderPlaced");
  };
  EXPECT_EQ(placements(), 1);

  // Same key, another body.
  auto reused = http().post("/api/v1/orders", order_body(customer, "MUG-CLASSIC", 5), {{"Idempotency-Key", "retry-1"}});
  expect_problem(reused, 422, "idempotency_key_reused");
  EXPECT_EQ(placements(), 1);
  EXPECT_EQ(customer_order_count(customer, str(first.json(), "position")), 1u);

  // Actions with a key are retried safely too.
  wait_for_status(order_id, "confirmed");
  auto cancel1 = http().post("/api/v1/orders/" + order_id + "/cancel", "", {{"Idempotency-Key", "cancel-1"}});
  ASSERT_EQ(cancel1.status, 200u) << cancel1.body;
  const auto after_first = event_count(order_id);
  auto cancel2 = http().post("/api/v1/orders/" + order_id + "/cancel", "", {{"Idempotency-Key", "cancel-1"}});
  ASSERT_EQ(cancel2.status, 200u) << cancel2.body;
  EXPECT_EQ(num(cancel1.json(), "version"), num(cancel2.json(), "version"));
  EXPECT_EQ(event_count(order_id), after_first);
}

TEST_F(ApiTest, StaleIfMatchIsAConflict) {
  const auto customer = new_customer();
  const auto order_id = str(place(customer, "stale-1"), "order_id");
  wait_for_status(order_id, "confirmed");  // version 3
  expect_problem(http().post("/api/v1/orders/" + order_id + "/ship", "", {{"If-Match", "7"}}), 409, "version_conflict");
  expect_problem(http().post("/api/v1/orders/" + order_id + "/ship", "", {{"If-Match", "one"}}), 400,
                 "validation_failed");
  EXPECT_EQ(event_count(order_id), 3u);
  auto shipped = http().post("/api/v1/orders/" + order_id + "/ship", "", {{"If-Match", "\"3\""}});
  EXPECT_EQ(shipped.status, 200u) << shipped.body;
  // The same version again is stale now.
  expect_problem(http().post("/api/v1/orders/" + order_id + "/deliver", "", {{"If-Match", "3"}}), 409,
                 "version_conflict");
  EXPECT_EQ(event_count(order_id), 4u);
}

TEST_F(ApiTest, BadOrdersAppendNothing) {
  const auto customer = new_customer();
  struct Case {
    std::string name;
    std::string body;
    unsigned status;
    std::string code;
    testing::HeaderList headers = {};
  };
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"customer_id": ")" + customer + R"(", "lines": [)", 400, "validation_failed"},
      {"not an object", "[1, 2, 3]", 400, "validation_failed"},
      {"quantity as a string", lines_body(customer, "EUR", R"([{"sku":"COFFEE-1KG","quantity":"2"}])"), 400,
       "validation_failed"},
      {"quantity as a fraction", lines_body(customer, "EUR", R"([{"sku":"COFFEE-1KG","quantity":1.5}])"), 400,
       "validation_failed"},
      {"missing lines", R"({"customer_id":")" + customer + R"(","currency":"EUR"})", 400, "validation_failed"},
      {"missing customer", R"({"currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})", 400,
       "validation_failed"},
      {"missing sku", lines_body(customer, "EUR", R"([{"quantity":1}])"), 400, "validation_failed"},
      {"empty lines", lines_body(customer, "EUR", "[]"), 400, "validation_failed"},
      {"zero quantity", order_body(customer, "COFFEE-1KG", 0), 400, "validation_failed"},
      {"negative quantity", order_body(customer, "COFFEE-1KG", -3), 400, "validation_failed"},
      {"quantity above the limit", order_body(customer, "COFFEE-1KG", 1000), 400, "validation_failed"},
      {"quantity beyond int32", lines_body(customer, "EUR", R"([{"sku":"COFFEE-1KG","quantity":99999999999}])"), 400,
       "validation_failed"},
      {"NUL in a text", lines_body(customer, "EUR", R"([{"sku":"COFFEE\u0000-1KG","quantity":1}])"), 400,
       "validation_failed"},
      {"quantity 1e30", lines_body(customer, "EUR", R"([{"sku":"COFFEE-1KG","quantity":1e30}])"), 400,
       "validation_failed"},
      {"unknown sku", order_body(customer, "NO-SUCH-SKU", 1), 422, "unknown_sku"},
      {"wrong currency", lines_body(customer, "USD", R"([{"sku":"COFFEE-1KG","quantity":1}])"), 422,
       "currency_mismatch"},
      {"unknown currency", lines_body(customer, "ZZZ", R"([{"sku":"COFFEE-1KG","quantity":1}])"), 400,
       "validation_failed"},
      {"unknown customer", order_body("00000000-0000-4000-8000-000000000000"), 422, "unknown_customer"},
      {"text/plain body", order_body(customer), 415, "unsupported_media_type", {{"Content-Type", "text/plain"}}},
      {"body over the limit",
       lines_body(customer, "EUR", R"([{"sku":"COFFEE-1KG","quantity":1}])") + std::string(70 * 1024, ' '), 413,
       "payload_too_large"},
  };
  int index = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = "bad-order-" + std::to_string(index++);
    auto headers = c.headers;
    headers.emplace_back("Idempotency-Key", key);
    auto r = http().post("/api/v1/orders", c.body, headers);
    expect_problem(r, c.status, c.code);
    if (c.code == "validation_failed" && c.status == 400) {
      EXPECT_TRUE(r.json().as_object().contains("errors")) << r.body;
    }
    // The order this request would have created has no events.
    EXPECT_EQ(event_count(order_id_for_key(key)), 0u);
  }
  // A good order after them all: the customer's list holds only it.
  auto good = place(customer, "bad-orders-then-good");
  EXPECT_EQ(customer_order_count(customer, str(good, "position")), 1u);
}

TEST_F(ApiTest, BadRequestsOnOrders) {
  expect_problem(http().get("/api/v1/orders/00000000-0000-4000-8000-000000000001"), 404, "not_found");
  expect_problem(http().get("/api/v1/orders/00000000-0000-4000-8000-000000000001/events"), 404, "not_found");
  expect_problem(http().post("/api/v1/orders/00000000-0000-4000-8000-000000000001/pay", ""), 404, "not_found");
  EXPECT_EQ(event_count("00000000-0000-4000-8000-000000000001"), 0u);
  expect_problem(http().get("/api/v1/orders/x?after=not-a-token"), 400, "validation_failed");

  auto r = http().request("DELETE", "/api/v1/orders/00000000-0000-4000-8000-000000000001");
  expect_problem(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET");
  r = http().request("PUT", "/api/v1/orders", "{}");
  expect_problem(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "POST");
  expect_problem(http().get("/api/v1/nothing-here"), 404, "not_found");

  const auto customer = new_customer();
  const auto order_id = str(place(customer, "bad-actions"), "order_id");
  wait_for_status(order_id, "confirmed");
  const auto events = event_count(order_id);
  expect_problem(http().post("/api/v1/orders/" + order_id + "/cancel", "{oops", {}), 400, "validation_failed");
  expect_problem(http().post("/api/v1/orders/" + order_id + "/cancel", R"({"reason":"x"})",
                             {{"Content-Type", "text/plain"}}),
                 415, "unsupported_media_type");
  expect_problem(http().post("/api/v1/orders/" + order_id + "/cancel", R"({"reason":42})"), 400, "validation_failed");
  expect_problem(http().post("/api/v1/orders/" + order_id + "/returns/nope/receive", ""), 409, "invalid_transition");
  EXPECT_EQ(event_count(order_id), events);

  auto raw = testing::send_raw(port_, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(raw.status, 400u);
}

TEST_F(ApiTest, BadCustomers) {
  expect_problem(http().post("/api/v1/customers", R"({"email":"a@example.com"})"), 400, "validation_failed");
  expect_problem(http().post("/api/v1/customers", R"({"email":5,"name":"x"})"), 400, "validation_failed");
  expect_problem(http().post("/api/v1/customers", R"({"email":"not-an-address","name":"x"})"), 400,
                 "validation_failed");
  expect_problem(http().get("/api/v1/customers/" + order_id_for_key("nobody") + "/orders"), 404, "not_found");
  const auto customer = new_customer();
  expect_problem(http().get("/api/v1/customers/" + customer + "/orders?cursor=garbage"), 400, "validation_failed");
}

TEST_F(ApiTest, StaffManageTheCatalogue) {
  const std::string create = R"({"sku":"E2E-WIDGET","name":"Widget","price":{"amount_minor":500,"currency":"EUR"},"stock":10})";
  auto r = http().post("/api/v1/admin/products", create, kNoAuth);
  expect_problem(r, 401, "unauthorized");
  EXPECT_FALSE(r.header("www-authenticate").empty());
  expect_problem(http().post("/api/v1/admin/products", create, {{"Authorization", "Bearer nope"}}), 401, "unauthorized");
  expect_problem(http().get("/api/v1/products/E2E-WIDGET"), 404, "not_found");
  // A NUL in any text (here the name) would stop the PostgreSQL read models at its event.
  r = http().post("/api/v1/admin/products",
                  R"({"sku":"E2E-WIDGET","name":"Wid\u0000get","price":{"amount_minor":500,"currency":"EUR"},"stock":10})",
                  kStaff);
  expect_problem(r, 400, "validation_failed");
  EXPECT_NE(r.body.find(R"("name")"), std::string::npos) << r.body;
  expect_problem(http().get("/api/v1/products/E2E-WIDGET"), 404, "not_found");

  r = http().post("/api/v1/admin/products", create, kStaff);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(str(r.json(), "sku"), "E2E-WIDGET");
  auto product = http().get("/api/v1/products/E2E-WIDGET?after=" + str(r.json(), "position"));
  ASSERT_EQ(product.status, 200u) << product.body;
  EXPECT_EQ(num(product.json(), "available"), 10);
  expect_problem(http().post("/api/v1/admin/products", create, kStaff), 409, "already_exists");

  const std::string price = R"({"price":{"amount_minor":650,"currency":"EUR"}})";
  expect_problem(http().post("/api/v1/admin/products/E2E-WIDGET/price", price, kNoAuth), 401, "unauthorized");
  r = http().post("/api/v1/admin/products/E2E-WIDGET/price", price, kStaff);
  ASSERT_EQ(r.status, 200u) << r.body;
  product = http().get("/api/v1/products/E2E-WIDGET?after=" + str(r.json(), "position"));
  EXPECT_EQ(num(product.json().at("price"), "amount_minor"), 650);

  expect_problem(http().post("/api/v1/admin/products/E2E-WIDGET/restock", R"({"quantity":5})",
                             {{"Authorization", "Bearer wrong"}}),
                 401, "unauthorized");
  r = http().post("/api/v1/admin/products/E2E-WIDGET/restock", R"({"quantity":5})", kStaff);
  ASSERT_EQ(r.status, 200u) << r.body;
  product = http().get("/api/v1/products/E2E-WIDGET?after=" + str(r.json(), "position"));
  EXPECT_EQ(num(product.json(), "available"), 15);
  expect_problem(http().post("/api/v1/admin/products/E2E-WIDGET/restock", R"({"quantity":"5"})", kStaff), 400,
                 "validation_failed");

  // Ordering it works at the new price, until it is discontinued.
  const auto customer = new_customer();
  auto placed = place(customer, "widget-1", "E2E-WIDGET", 1);
  auto view = order_after(str(placed, "order_id"), str(placed, "position"));
  EXPECT_EQ(num(view.at("total"), "amount_minor"), 650);

  expect_problem(http().post("/api/v1/admin/products/E2E-WIDGET/discontinue", "", kNoAuth), 401, "unauthorized");
  r = http().post("/api/v1/admin/products/E2E-WIDGET/discontinue", R"({"reason":"end of line"})", kStaff);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(str(r.json(), "status"), "discontinued");
  product = http().get("/api/v1/products/E2E-WIDGET?after=" + str(r.json(), "position"));
  EXPECT_FALSE(product.json().at("active").as_bool());

  // In the distributed deployment too: the processor that committed the discontinue answers
  // from its own committed state, not from its read models (which trail the log).
  auto refused = http().post("/api/v1/orders", order_body(customer, "E2E-WIDGET", 1), {{"Idempotency-Key", "widget-2"}});
  expect_problem(refused, 422, "product_inactive");
  EXPECT_EQ(event_count(order_id_for_key("widget-2")), 0u);
  EXPECT_EQ(customer_order_count(customer, str(placed, "position")), 1u);
}

TEST_F(ApiTest, TheLastUnitGoesToOneCustomerAndTheOtherIsCancelledOutOfStock) {
  const std::string create = R"({"sku":"E2E-LAST","name":"Last one","price":{"amount_minor":900,"currency":"EUR"},"stock":1})";
  auto r = http().post("/api/v1/admin/products", create, kStaff);
  ASSERT_EQ(r.status, 201u) << r.body;
  ASSERT_EQ(http().get("/api/v1/products/E2E-LAST?after=" + str(r.json(), "position")).status, 200u);
  const auto customer = new_customer();
  const auto first = str(place(customer, "last-1", "E2E-LAST", 1), "order_id");
  const auto second = str(place(customer, "last-2", "E2E-LAST", 1), "order_id");
  // Both are accepted (201): stock is the product's business, answered through the saga.
  std::map<std::string, int> outcomes;
  for (const auto& id : {first, second}) {
    json::value order;
    for (int i = 0; i < 2000; ++i) {
      // A 404 until the read models have the order (the distributed gateway folds it a
      // moment after the processor's answer).
      auto got = http().get("/api/v1/orders/" + id);
      if (got.status == 200) order = got.json();
      if (order.is_object() && str(order, "status") != "placed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    outcomes[str(order, "status")]++;
    if (str(order, "status") == "cancelled") {
      auto events = http().get("/api/v1/orders/" + id + "/events").json();
      std::string reason;
      for (const auto& item : events.at("items").as_array()) {
        if (str(item, "type") == "OrderCancelled") reason = str(item.at("data"), "reason");
      }
      EXPECT_EQ(reason, "out_of_stock");
    }
  }
  EXPECT_EQ(outcomes["confirmed"], 1);
  EXPECT_EQ(outcomes["cancelled"], 1);
  // Nothing left to sell, once the read model has seen the holds.
  for (int i = 0; i < 2000; ++i) {
    if (num(http().get("/api/v1/products/E2E-LAST").json(), "available") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(num(http().get("/api/v1/products/E2E-LAST").json(), "available"), 0);
}

}  // namespace
}  // namespace orderline
