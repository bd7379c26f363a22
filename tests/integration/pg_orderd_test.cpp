// `orderd serve --pg DSN`: the PostgreSQL read models follow the engine's log beside the
// RocksDB ones, and /readyz says "not ready", with the reason, while PostgreSQL is down or the
// projector stopped on a poison event (--on-poison stop).
#include <gtest/gtest.h>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

// Waits (bounded) until /readyz answers `status`; returns the last response.
HttpResponse wait_for_readiness(HttpClient& client, unsigned status) {
  HttpResponse response;
  for (int i = 0; i < 2400; ++i) {
    response = client.get("/readyz");
    if (response.status == status) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return response;
}

// Waits (bounded) until a query answers `expected`.
bool wait_for_value(const std::string& dsn, const std::string& sql, const std::string& expected) {
  for (int i = 0; i < 2400; ++i) {
    try {
      if (query_value(dsn, sql) == expected) return true;
    } catch (const std::exception&) {
      // not migrated yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

class OrderdPostgresTest : public PostgresTest {};

TEST_F(OrderdPostgresTest, ServeWithPgFoldsOrdersAndReportsAnUnreachableServer) {
  PrivatePostgres server;
  TestDatabase db(server.dsn());
  TempDir data;
  OrderdProcess orderd(data.path() + "/data", {"--pg", db.dsn()});
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());

  auto customer = client.post("/api/v1/customers", R"({"email": "pg@example.com", "name": "Pat Gres"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  const auto place = [&](const std::string& key) {
    return client.post("/api/v1/orders",
                       R"({"customer_id": ")" + customer_id +
                           R"(", "currency": "EUR", "lines": [{"sku": "COFFEE-1KG", "quantity": 2}]})",
                       {{"Idempotency-Key", key}});
  };
  ASSERT_EQ(place("first").status, 201u);
  ASSERT_TRUE(wait_for_value(db.dsn(), "SELECT count(*) FROM orderline.orders", "1")) << orderd.output();
  EXPECT_EQ(query_value(db.dsn(),
                        "SELECT order_count || '|' || lifetime_value_minor FROM orderline.customer_summaries "
                        "WHERE customer_id = '" + customer_id + "'"),
            "1|3998");
  EXPECT_EQ(wait_for_readiness(client, 200).status, 200u);

  ASSERT_TRUE(server.stop());
  auto down = wait_for_readiness(client, 503);
  ASSERT_EQ(down.status, 503u) << down.body;
  const std::string reason(down.json().at("reason").as_string());
  EXPECT_NE(reason.find("PostgreSQL read models unreachable"), std::string::npos) << reason;
  // Commands do not depend on PostgreSQL: the log and the RocksDB read models go on.
  ASSERT_EQ(place("second").status, 201u);

  ASSERT_TRUE(server.start());
  EXPECT_EQ(wait_for_readiness(client, 200).status, 200u);
  ASSERT_TRUE(wait_for_value(db.dsn(), "SELECT count(*) FROM orderline.orders", "2")) << orderd.output();
  EXPECT_EQ(query_value(db.dsn(),
                        "SELECT order_count || '|' || lifetime_value_minor FROM orderline.customer_summaries "
                        "WHERE customer_id = '" + customer_id + "'"),
            "2|7996");
}

// `orderd serve --pg DSN --on-poison stop`: an order the tables refuse stops the PostgreSQL
// projector on it; /readyz and the projection's status say so, with the event; once the cause is
// gone, `resume` folds it and the projector goes on.
TEST_F(OrderdPostgresTest, OnPoisonStopIsReportedAndResumeGoesOn) {
  const auto dsn = db_->dsn();
  TempDir data;
  OrderdProcess orderd(data.path() + "/data", {"--pg", dsn, "--on-poison", "stop", "--no-saga"});
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());
  ASSERT_EQ(wait_for_readiness(client, 200).status, 200u) << orderd.output();  // migrated and connected
  {
    pqxx::connection connection(dsn);
    pqxx::work tx(connection);
    // A rule the next order breaks, standing in for any data error (class 23) of the server.
    tx.exec("ALTER TABLE orderline_v1.orders ADD CONSTRAINT test_small_orders CHECK (total_minor < 5000)");
    tx.commit();
  }
  auto customer = client.post("/api/v1/customers", R"({"email": "poison@example.com", "name": "Pat Gres"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto placed = client.post("/api/v1/orders",
                            R"({"customer_id": ")" + customer_id +
                                R"(", "currency": "EUR", "lines": [{"sku": "COFFEE-1KG", "quantity": 3}]})",
                            {{"Idempotency-Key", "too-big"}});
  ASSERT_EQ(placed.status, 201u) << placed.body;

  auto stopped = wait_for_readiness(client, 503);
  ASSERT_EQ(stopped.status, 503u) << stopped.body;
  const std::string reason(stopped.json().at("reason").as_string());
  EXPECT_NE(reason.find("PostgreSQL read models stopped: stopped on the event at"), std::string::npos) << reason;
  EXPECT_NE(reason.find("OrderPlaced"), std::string::npos) << reason;
  const HeaderList staff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};
  auto listed = client.get("/api/v1/admin/projections", staff);
  ASSERT_EQ(listed.status, 200u) << listed.body;
  bool seen = false;
  const auto projections = listed.json();
  for (const auto& item : projections.at("items").as_array()) {
    if (item.at("sink").as_string() != "postgres") continue;
    seen = true;
    EXPECT_EQ(item.at("state").as_string(), "failed");
    EXPECT_NE(std::string(item.at("error").as_string()).find("test_small_orders"), std::string::npos) << listed.body;
  }
  EXPECT_TRUE(seen) << listed.body;
  EXPECT_EQ(query_value(dsn, "SELECT count(*) FROM orderline.orders"), "0");
  EXPECT_EQ(query_value(dsn, "SELECT count(*) FROM orderline.dead_letters"), "0");

  {
    pqxx::connection connection(dsn);
    pqxx::work tx(connection);
    tx.exec("ALTER TABLE orderline_v1.orders DROP CONSTRAINT test_small_orders");
    tx.commit();
  }
  auto resumed = client.post("/api/v1/admin/projections/orders/resume", "", staff);
  ASSERT_EQ(resumed.status, 200u) << resumed.body;
  EXPECT_EQ(wait_for_readiness(client, 200).status, 200u) << orderd.output();
  EXPECT_TRUE(wait_for_value(dsn, "SELECT count(*) FROM orderline.orders", "1")) << orderd.output();
}

}  // namespace
}  // namespace orderline::testing
