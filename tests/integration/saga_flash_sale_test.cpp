// A flash sale against the real `orderd serve`: 1,000 concurrent orders for a SKU with 100
// units, with a kill -9 of the server in the middle and a restart on the same data. Exactly 100
// orders are confirmed and 900 cancelled out_of_stock; in the log no order holds stock twice,
// and in the payment provider's ledger nobody was authorised twice. Once on the embedded log,
// once on Kafka (the real broker of ORDERLINE_KAFKA): there the kill leaves a transaction open,
// which the restarted server's producer (same transactional.id) aborts.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "commands/payments/simulated_provider.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/kafka/kafka_event_log.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"
#include "tests/support/saga_census.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::OrderdProcess;

constexpr int kOrders = 1000;
constexpr int kStock = 100;
constexpr int kClients = 8;
const testing::HeaderList kStaff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};
// Payments answer after a millisecond, so some are in flight when the server dies.
const std::vector<std::string> kFlags = {"--payment-latency-ms", "1"};

std::string key_of(int i) { return "flash-" + std::to_string(i); }

std::string order_body(const std::string& customer) {
  return R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":"FLASH-1","quantity":1}]})";
}

// Places orders 0..kOrders-1 (each key once per call) from kClients threads until `stop`;
// returns key -> order id of the acknowledged ones. A dead server ends a client's loop.
std::map<std::string, std::string> place_all(std::uint16_t port, const std::string& customer,
                                             std::atomic<int>& acked, const std::atomic<bool>& stop) {
  std::map<std::string, std::string> ids;
  std::mutex mutex;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      HttpClient client(port);
      client.set_default_headers(testing::admin_bearer());
      for (int i = t; i < kOrders && !stop.load(); i += kClients) {
        try {
          auto r = client.post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", key_of(i)}});
          if (r.status != 201) continue;
          std::lock_guard lock(mutex);
          ids[key_of(i)] = std::string(r.json().at("order_id").as_string());
          ++acked;
        } catch (const std::exception&) {
          return;  // the server is gone
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  return ids;
}

// The event log of a run: "embedded" (in the data directory) or "kafka" (topics of its own).
class SagaFlashSale : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() != "kafka") return;
    ORDERLINE_REQUIRE_KAFKA();
    prefix_ = testing::unique_topic_prefix("flash-sale");
    flags_.insert(flags_.end(), {"--event-log", "kafka://" + testing::kafka_brokers() + "?prefix=" + prefix_});
  }
  // The server's log, read back once the server has stopped.
  std::unique_ptr<eventstore::EventLog> open_log(const std::string& data, const std::string& scratch) const {
    if (GetParam() != "kafka") return std::make_unique<eventstore::EmbeddedLog>(eventstore::EmbeddedLogOptions{data + "/log", 8});
    eventstore::KafkaLogOptions options;
    options.brokers = testing::kafka_brokers();
    options.topic_prefix = prefix_;
    options.state_dir = scratch;
    options.read_only = true;
    return std::make_unique<eventstore::KafkaEventLog>(options);
  }
  std::vector<std::string> flags_ = kFlags;
  std::string prefix_;
};

INSTANTIATE_TEST_SUITE_P(EventLogs, SagaFlashSale, ::testing::Values("embedded", "kafka"),
                         [](const auto& info) { return info.param; });

TEST_P(SagaFlashSale, ExactlyTheStockIsSoldAcrossAKillNine) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string customer;
  std::map<std::string, std::string> before_kill;
  {
    OrderdProcess server(data, flags_);
    HttpClient http(server.port());
    http.set_default_headers(testing::admin_bearer());
    auto created = http.post("/api/v1/admin/products",
                             R"({"sku":"FLASH-1","name":"Flash","price":{"amount_minor":100,"currency":"EUR"},"stock":)" +
                                 std::to_string(kStock) + "}",
                             kStaff);
    ASSERT_EQ(created.status, 201u) << created.body;
    auto registered = http.post("/api/v1/customers", R"({"email":"flash@example.com","name":"Flash"})");
    ASSERT_EQ(registered.status, 201u) << registered.body;
    customer = std::string(registered.json().at("customer_id").as_string());
    ASSERT_EQ(http.get("/api/v1/customers/" + customer + "/orders?after=" +
                       std::string(registered.json().at("position").as_string()))
                  .status,
              200u);

    std::atomic<int> acked{0};
    std::atomic<bool> stop{false};
    std::thread load([&] { before_kill = place_all(server.port(), customer, acked, stop); });
    while (acked.load() < kOrders / 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.kill9();  // orders, reservations and payments are in flight right now
    stop = true;
    load.join();
  }
  ASSERT_GE(before_kill.size(), static_cast<std::size_t>(kOrders / 2));
  ASSERT_LT(before_kill.size(), static_cast<std::size_t>(kOrders)) << "the kill came too late to test anything";

  std::map<std::string, std::string> ids;
  {
    OrderdProcess server(data, flags_);
    // Every key again: acknowledged ones answer with their order, the others are placed now.
    std::atomic<int> acked{0};
    std::atomic<bool> stop{false};
    ids = place_all(server.port(), customer, acked, stop);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
    for (const auto& [key, id] : before_kill) EXPECT_EQ(ids.at(key), id);

    // The saga settles every order by itself (bounded wait; no timing is asserted).
    HttpClient http(server.port());
    http.set_default_headers(testing::admin_bearer());
    std::map<std::string, std::string> status;
    std::set<std::string> waiting;
    for (const auto& [key, id] : ids) waiting.insert(id);
    for (int round = 0; round < 1200 && !waiting.empty(); ++round) {
      for (auto it = waiting.begin(); it != waiting.end();) {
        auto r = http.get("/api/v1/orders/" + *it);
        const auto s = r.status == 200 ? std::string(r.json().at("status").as_string()) : std::string("placed");
        if (s == "placed") {
          ++it;
          continue;
        }
        status[*it] = s;
        it = waiting.erase(it);
      }
      if (!waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(waiting.empty()) << waiting.size() << " orders never left 'placed'";

    std::map<std::string, int> outcomes;
    for (const auto& [id, s] : status) ++outcomes[s];
    EXPECT_EQ(outcomes["confirmed"], kStock);
    EXPECT_EQ(outcomes["cancelled"], kOrders - kStock);
    // Every cancellation says why.
    for (const auto& [id, s] : status) {
      if (s != "cancelled") continue;
      const auto events = http.get("/api/v1/orders/" + id + "/events").json();
      std::string reason;
      for (const auto& item : events.at("items").as_array()) {
        if (item.at("type").as_string() == "OrderCancelled") {
          reason = std::string(item.at("data").at("reason").as_string());
        }
      }
      EXPECT_EQ(reason, "out_of_stock") << id;
    }
    auto product = http.get("/api/v1/products/FLASH-1").json();
    EXPECT_EQ(product.at("available").to_number<std::int64_t>(), 0);
    server.terminate();
    ASSERT_EQ(server.wait(), 0) << server.output();
  }

  // The product's own stream: at most one hold per order, and exactly the stock held; the
  // provider's ledger: one authorisation per confirmed order, nobody charged twice.
  const auto log = open_log(data, dir.path() + "/census");
  testing::expect_one_hold_per_order(*log, "product-FLASH-1", kStock);
  testing::expect_one_authorisation_per_order(data + "/payments.ledger", kStock);
}

}  // namespace
}  // namespace orderline
