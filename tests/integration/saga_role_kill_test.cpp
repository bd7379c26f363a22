// `orderd saga` in the distributed deployment (gateway + processor --saga + saga, real broker):
// a kill -9 of the saga while payments are in flight and orders wait for it, then a restart
// on the same data directory. Every order still reaches confirmed, and the restart repeated
// nothing that shows: in the product's stream one hold per order, in the payment provider's
// ledger one authorisation per order (the same census as saga_flash_sale_test). And the
// singleton guard: a second `orderd saga` stands by, and takes over when the first dies; and
// the role takes `orderd serve`'s payment flags.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/process.h"
#include "tests/support/saga_census.h"

namespace orderline {
namespace {

using testing::HttpClient;

constexpr int kOrders = 120;    // half before the kill, half while the saga is down
constexpr int kStock = 10'000;  // enough for all: every order must end confirmed
// Payments answer after 20 ms, so authorisations are in flight when the saga dies.
const std::vector<std::string> kSagaFlags = {"--payment-latency-ms", "20"};

std::string str(const boost::json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }

// The order's status, or "" while the gateway's read models do not have it yet; with
// `after` (a position token), once they have folded that far.
std::string status_of(HttpClient& http, const std::string& order_id, const std::string& after = "") {
  auto r = http.get("/api/v1/orders/" + order_id + (after.empty() ? "" : "?after=" + after));
  return r.status == 200 ? str(r.json(), "status") : std::string();
}

// Orders `from`..`to`-1 of one SKU, each under its own key; returns their ids. `last_position`:
// the position of the last one's answer.
std::vector<std::string> place(HttpClient& http, const std::string& customer, int from, int to,
                               std::string* last_position = nullptr) {
  std::vector<std::string> ids;
  for (int i = from; i < to; ++i) {
    const auto body = R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":"SAGA-KILL","quantity":1}]})";
    auto r = http.post("/api/v1/orders", body, {{"Idempotency-Key", "saga-kill-" + std::to_string(i)}});
    EXPECT_EQ(r.status, 201u) << r.body;
    if (r.status != 201) continue;
    ids.push_back(str(r.json(), "order_id"));
    if (last_position) *last_position = str(r.json(), "position");
  }
  return ids;
}

TEST(SagaRoleKill, EveryOrderIsConfirmedOnceAcrossAKillNineOfTheSaga) {
  ORDERLINE_REQUIRE_KAFKA();
  testing::TempDir dir;
  testing::KafkaDeployment deployment{testing::unique_topic_prefix("saga-kill"), 4};
  auto processor = testing::start_processor(deployment, dir.path(), "p", {"--saga"});
  auto saga = testing::start_saga(deployment, dir.path(), kSagaFlags);
  testing::GatewayProcess gateway(deployment, dir.path(), 0);
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());

  auto created = http.post("/api/v1/admin/products",
                           R"({"sku":"SAGA-KILL","name":"Kill","price":{"amount_minor":100,"currency":"EUR"},"stock":)" +
                               std::to_string(kStock) + "}");
  ASSERT_EQ(created.status, 201u) << created.body;
  auto registered = http.post("/api/v1/customers", R"({"email":"kill@example.com","name":"Kill"})");
  ASSERT_EQ(registered.status, 201u) << registered.body;
  const auto customer = str(registered.json(), "customer_id");
  ASSERT_EQ(http.get("/api/v1/customers/" + customer + "/orders?after=" + str(registered.json(), "position")).status,
            200u);

  auto ids = place(http, customer, 0, kOrders / 2);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders / 2));
  // The saga is under way once the first order is confirmed; it dies right then, with the
  // others' reservations and payments in flight.
  for (int i = 0; i < 6000 && status_of(http, ids.front()) != "confirmed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status_of(http, ids.front()), "confirmed") << saga->output();
  ::kill(saga->pid(), SIGKILL);
  while (saga->running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // These wait for the restarted saga.
  std::string last_position;
  auto later = place(http, customer, kOrders / 2, kOrders, &last_position);
  ASSERT_EQ(later.size(), static_cast<std::size_t>(kOrders / 2));
  EXPECT_EQ(status_of(http, later.back(), last_position), "placed");
  ids.insert(ids.end(), later.begin(), later.end());

  // The restart's group membership waits for the dead one's session to end (8 s).
  saga = testing::start_saga(deployment, dir.path(), kSagaFlags, "saga-restarted");
  std::set<std::string> waiting(ids.begin(), ids.end());
  std::map<std::string, std::string> final_status;
  for (int round = 0; round < 1800 && !waiting.empty(); ++round) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      const auto s = status_of(http, *it);
      if (s.empty() || s == "placed") {
        ++it;
        continue;
      }
      final_status[*it] = s;
      it = waiting.erase(it);
    }
    if (!waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(waiting.empty()) << waiting.size() << " orders never left 'placed'\n" << saga->output();
  for (const auto& [id, s] : final_status) EXPECT_EQ(s, "confirmed") << id;
  saga->stop();  // SIGTERM: a clean stop

  eventstore::KafkaLogOptions options;
  options.brokers = deployment.brokers();
  options.topic_prefix = deployment.prefix;
  options.partitions = deployment.partitions;
  options.state_dir = dir.path() + "/census";
  options.read_only = true;
  eventstore::KafkaEventLog log(options);
  testing::expect_one_hold_per_order(log, "product-SAGA-KILL", kOrders);
  testing::expect_one_authorisation_per_order(testing::saga_data_dir(dir.path()) + "/payments.ledger", kOrders);
}

// /readyz of a saga's operator port: 200 while its saga runs; `body` gets the answer.
bool saga_ready(std::uint16_t port, std::string* body = nullptr) {
  HttpClient client(port);
  auto r = client.get("/readyz");
  if (body) *body = r.body;
  return r.status == 200;
}

std::uint16_t wait_until_ready(std::uint16_t port, testing::ChildProcess& saga) {
  for (int i = 0; i < 1200 && !saga_ready(port); ++i) {
    if (!saga.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return saga_ready(port) ? port : 0;
}

TEST(SagaRoleKill, ASecondSagaStandsByAndTakesOverWhenTheFirstDies) {
  ORDERLINE_REQUIRE_KAFKA();
  testing::TempDir dir;
  testing::KafkaDeployment deployment{testing::unique_topic_prefix("saga-standby"), 4};
  auto processor = testing::start_processor(deployment, dir.path(), "p", {"--saga"});
  const std::string first_port_file = dir.path() + "/first.port";
  auto first = testing::start_saga(deployment, dir.path(), {"--port-file", first_port_file}, "first", "first");
  const auto first_port = testing::wait_for_port_file(first_port_file, *first);
  ASSERT_NE(first_port, 0) << first->output();
  ASSERT_EQ(wait_until_ready(first_port, *first), first_port) << first->output();

  const std::string second_port_file = dir.path() + "/second.port";
  auto second = testing::start_saga(deployment, dir.path(), {"--port-file", second_port_file}, "second", "second");
  const auto second_port = testing::wait_for_port_file(second_port_file, *second);
  ASSERT_NE(second_port, 0) << second->output();
  // The group may leave partition 0 with the first or move it to the second; either way one
  // runs and the other says it stands by. The second is asked first: once it runs, the first
  // has already given partition 0 up (the group hands it over only after the revocation), so
  // both ready in one sample would be two sagas at once.
  int settled = 0;
  bool first_runs = false;
  for (int i = 0; i < 2400 && settled < 20; ++i) {
    std::string second_body, first_body;
    const bool b = saga_ready(second_port, &second_body);
    const bool a = saga_ready(first_port, &first_body);
    ASSERT_FALSE(a && b) << "two sagas ran at once\n" << first_body << "\n" << second_body;
    const bool one_stands_by = (a && second_body.find("standby") != std::string::npos) ||
                               (b && first_body.find("standby") != std::string::npos);
    settled = one_stands_by ? settled + 1 : 0;
    first_runs = a;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(settled, 20) << "never one saga running and one standing by\n" << first->output() << second->output();

  // kill -9 of the running one: the other runs after the dead one's session times out.
  auto& running = first_runs ? first : second;
  auto& standby = first_runs ? second : first;
  const auto standby_port = first_runs ? second_port : first_port;
  ::kill(running->pid(), SIGKILL);
  while (running->running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(wait_until_ready(standby_port, *standby), standby_port) << standby->output();
}

TEST(SagaRoleKill, TheRoleTakesThePaymentFlagsOfServe) {
  ORDERLINE_REQUIRE_KAFKA();
  testing::TempDir dir;
  testing::KafkaDeployment deployment{testing::unique_topic_prefix("saga-flags"), 2};
  auto processor = testing::start_processor(deployment, dir.path(), "p", {"--saga"});
  auto saga = testing::start_saga(deployment, dir.path(), {"--payment-decline-rate", "1"});
  testing::GatewayProcess gateway(deployment, dir.path(), 0, {"--demo-catalogue"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  auto registered = http.post("/api/v1/customers", R"({"email":"flags@example.com","name":"Flags"})");
  ASSERT_EQ(registered.status, 201u) << registered.body;
  const auto customer = str(registered.json(), "customer_id");
  auto placed = http.post("/api/v1/orders",
                          R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                          {{"Idempotency-Key", "declined"}});
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto order_id = str(placed.json(), "order_id");
  std::string status;
  for (int i = 0; i < 1200 && (status.empty() || status == "placed"); ++i) {
    status = status_of(http, order_id, str(placed.json(), "position"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(status, "cancelled") << saga->output();
  std::string reason;
  const auto events = http.get("/api/v1/orders/" + order_id + "/events").json();
  for (const auto& item : events.at("items").as_array()) {
    if (item.at("type").as_string() == "OrderCancelled") reason = str(item.at("data"), "reason");
  }
  EXPECT_EQ(reason, "payment_declined");
}

}  // namespace
}  // namespace orderline
