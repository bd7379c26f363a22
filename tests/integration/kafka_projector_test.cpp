// `orderd projector postgres` on Kafka: the PostgreSQL read models fed from the events topic of
// a distributed deployment (gateway + processor). After a kill -9 and a restart the projector
// resumes from the checkpoints stored with the read models, and ends equal to a fresh rebuild
// into another database: nothing skipped, nothing applied twice. With --on-poison, an event the
// tables refuse is parked (and the rest folds) or stops the projector, as on `orderd serve`.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <filesystem>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

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

class KafkaProjectorTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    ORDERLINE_REQUIRE_KAFKA();
    deployment_.prefix = unique_topic_prefix("projector");
    deployment_.partitions = 2;
  }
  std::unique_ptr<ChildProcess> start_projector(const std::string& name, const std::string& dsn,
                                                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{ORDERD_PATH, "projector", "postgres", "--event-log", deployment_.url(), "--partitions",
                                  std::to_string(deployment_.partitions), "--data-dir", dir_.path() + "/" + name, "--pg",
                                  dsn};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir_.path() + "/" + name + ".log");
  }
  TempDir dir_;
  KafkaDeployment deployment_;
};

TEST_F(KafkaProjectorTest, FoldsTheEventsTopicAndAfterKillNineEqualsARebuild) {
  auto processor = start_processor(deployment_, dir_.path(), "a");
  GatewayProcess gateway(deployment_, dir_.path(), 0, {"--demo-catalogue"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"pg@example.com","name":"Pat"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto place = [&](const std::string& key) {
    auto r = http.post("/api/v1/orders",
                       R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":2}]})",
                       {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return std::string(r.json().at("order_id").as_string());
  };
  for (int i = 0; i < 4; ++i) place("before-" + std::to_string(i));
  const auto paid = place("paid");
  ASSERT_EQ(http.post("/api/v1/orders/" + paid + "/pay", "", {{"If-Match", "1"}}).status, 200u);

  TestDatabase live(postgres_server());
  auto projector = start_projector("projector", live.dsn());
  ASSERT_TRUE(wait_for_value(live.dsn(), "SELECT count(*) FROM orderline.orders", "5")) << projector->output();
  EXPECT_EQ(query_value(live.dsn(), "SELECT status FROM orderline.orders WHERE order_id = '" + paid + "'"), "confirmed");

  ::kill(projector->pid(), SIGKILL);
  projector.reset();
  for (int i = 0; i < 3; ++i) place("after-" + std::to_string(i));
  ASSERT_EQ(http.post("/api/v1/orders/" + paid + "/cancel", "", {{"If-Match", "2"}}).status, 200u);
  projector = start_projector("projector", live.dsn());
  ASSERT_TRUE(wait_for_value(live.dsn(), "SELECT count(*) FROM orderline.orders", "8")) << projector->output();
  ASSERT_TRUE(wait_for_value(live.dsn(), "SELECT status FROM orderline.orders WHERE order_id = '" + paid + "'",
                             "cancelled"));

  TestDatabase rebuilt(postgres_server());
  auto fresh = start_projector("rebuild", rebuilt.dsn());
  ASSERT_TRUE(wait_for_value(rebuilt.dsn(), "SELECT count(*) FROM orderline.orders", "8")) << fresh->output();
  const std::string checkpoints = "SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition) "
                                  "FROM orderline.projection_checkpoints";
  ASSERT_TRUE(wait_for_value(rebuilt.dsn(), checkpoints, query_value(live.dsn(), checkpoints)));
  for (const std::string sql :
       {"SELECT string_agg(order_id || ':' || status || ':' || payment_status || ':' || version || ':' || total_minor, ',' "
        "ORDER BY order_id) FROM orderline.orders",
        "SELECT string_agg(order_id || ':' || stream_version || ':' || to_status, ',' ORDER BY order_id, stream_version, "
        "machine) FROM orderline.order_status_history",
        "SELECT string_agg(customer_id || ':' || order_count || ':' || lifetime_value_minor, ',') FROM "
        "orderline.customer_summaries"}) {
    EXPECT_EQ(query_value(live.dsn(), sql), query_value(rebuilt.dsn(), sql)) << sql;
  }
}

// Two instances of one projector on one database split the partitions (a consumer group); a
// kill -9 of one hands its partitions to the other, and the result equals a rebuild.
TEST_F(KafkaProjectorTest, TwoInstancesSplitThePartitionsAndOneTakesOverAfterKillNine) {
  deployment_.partitions = 4;
  auto processor = start_processor(deployment_, dir_.path(), "a");
  GatewayProcess gateway(deployment_, dir_.path(), 0, {"--demo-catalogue"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"pg@example.com","name":"Pat"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto place = [&](const std::string& key) {
    auto r = http.post("/api/v1/orders",
                       R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                       {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
  };
  for (int i = 0; i < 8; ++i) place("group-" + std::to_string(i));

  TestDatabase live(postgres_server());
  auto first = start_projector("first", live.dsn());
  auto second = start_projector("second", live.dsn());
  ASSERT_TRUE(wait_for_value(live.dsn(), "SELECT count(*) FROM orderline.orders", "8"))
      << first->output() << second->output();
  // Both hold partitions once the group has settled (each logs what it folds).
  auto holds_some = [](const std::string& log) {
    const auto last = log.rfind("folding partitions [");
    return last != std::string::npos && log.compare(last + 20, 1, "]") != 0;
  };
  for (int i = 0; i < 400 && !(holds_some(first->output()) && holds_some(second->output())); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(holds_some(first->output())) << first->output();
  EXPECT_TRUE(holds_some(second->output())) << second->output();

  ::kill(first->pid(), SIGKILL);
  first.reset();
  for (int i = 8; i < 14; ++i) place("group-" + std::to_string(i));
  ASSERT_TRUE(wait_for_value(live.dsn(), "SELECT count(*) FROM orderline.orders", "14")) << second->output();

  TestDatabase rebuilt(postgres_server());
  auto fresh = start_projector("rebuild", rebuilt.dsn());
  ASSERT_TRUE(wait_for_value(rebuilt.dsn(), "SELECT count(*) FROM orderline.orders", "14")) << fresh->output();
  const std::string sql =
      "SELECT string_agg(order_id || ':' || status || ':' || version, ',' ORDER BY order_id) FROM orderline.orders";
  EXPECT_EQ(query_value(live.dsn(), sql), query_value(rebuilt.dsn(), sql));
  const std::string summaries =
      "SELECT string_agg(customer_id || ':' || order_count || ':' || lifetime_value_minor, ',') FROM "
      "orderline.customer_summaries";
  ASSERT_TRUE(wait_for_value(live.dsn(), summaries, query_value(rebuilt.dsn(), summaries)));
}

// The poison tests: orders of one customer through a gateway, folded by `orderd projector
// postgres --on-poison POLICY`; an order of 3 x COFFEE-1KG breaks a CHECK constraint added
// once the tables exist (standing in for any data error of the server: class 23).
class KafkaProjectorPoisonTest : public KafkaProjectorTest {
 protected:
  void start(const std::string& policy) {
    processor_ = start_processor(deployment_, dir_.path(), "a");
    gateway_ = std::make_unique<GatewayProcess>(deployment_, dir_.path(), 0, std::vector<std::string>{"--demo-catalogue"});
    http_ = std::make_unique<HttpClient>(gateway_->port());
    http_->set_default_headers(testing::admin_bearer());
    auto customer = http_->post("/api/v1/customers", R"({"email":"poison@example.com","name":"Pat"})");
    ASSERT_EQ(customer.status, 201u) << customer.body;
    customer_id_ = std::string(customer.json().at("customer_id").as_string());
    place("first", 1);
    db_ = std::make_unique<TestDatabase>(postgres_server());
    port_file_ = dir_.path() + "/projector.port";
    projector_ = start_projector("projector", db_->dsn(),
                                 {"--on-poison", policy, "--metrics-listen", "127.0.0.1:0", "--port-file", port_file_});
    ASSERT_TRUE(wait_for_value(db_->dsn(), "SELECT count(*) FROM orderline.orders", "1")) << projector_->output();
    pqxx::connection connection(db_->dsn());
    pqxx::work tx(connection);
    tx.exec("ALTER TABLE orderline_v1.orders ADD CONSTRAINT test_small_orders CHECK (total_minor < 5000)");
    tx.commit();
  }
  std::string place(const std::string& key, int quantity) {
    auto r = http_->post("/api/v1/orders",
                         R"({"customer_id":")" + customer_id_ + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":)" +
                             std::to_string(quantity) + "}]}",
                         {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return std::string(r.json().at("order_id").as_string());
  }
  // The projector's /readyz once it answers `status` (bounded wait).
  HttpResponse readiness(unsigned status) {
    HttpClient ops(wait_for_port_file(port_file_, *projector_));
    HttpResponse answer;
    for (int i = 0; i < 1200; ++i) {
      answer = ops.get("/readyz");
      if (answer.status == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return answer;
  }
  std::unique_ptr<ChildProcess> processor_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<HttpClient> http_;
  std::string customer_id_;
  std::unique_ptr<TestDatabase> db_;
  std::string port_file_;
  std::unique_ptr<ChildProcess> projector_;
};

// park (the default): the poison order is a dead letter with its record, stream, type and the
// server's error, and the orders after it fold; the projector stays ready.
TEST_F(KafkaProjectorPoisonTest, ParkedAndTheRestFolds) {
  start("park");
  const auto poison = place("too-big", 3);
  for (int i = 0; i < 3; ++i) place("after-" + std::to_string(i), 1);
  ASSERT_TRUE(wait_for_value(db_->dsn(), "SELECT count(*) FROM orderline.dead_letters", "1")) << projector_->output();
  ASSERT_TRUE(wait_for_value(db_->dsn(), "SELECT count(*) FROM orderline.orders", "4")) << projector_->output();
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.orders WHERE order_id = '" + poison + "'"), "0");
  EXPECT_EQ(query_value(db_->dsn(), "SELECT projection || '|' || stream_id || '|' || event_type || '|' || "
                                    "(length(record) > 0) || '|' || (error LIKE '%test_small_orders%') "
                                    "FROM orderline.dead_letters"),
            "orders|order-" + poison + "|OrderPlaced|true|true");
  EXPECT_EQ(readiness(200).status, 200u) << projector_->output();
}

// stop: the projector stops on the poison order (its checkpoint stays on it) and parks
// nothing; /readyz says why. A restart of the role (the cause fixed) folds it and goes on.
TEST_F(KafkaProjectorPoisonTest, StopsOnItAndARestartRetriesIt) {
  start("stop");
  const auto poison = place("too-big", 3);
  auto stopped = readiness(503);
  ASSERT_EQ(stopped.status, 503u) << stopped.body << projector_->output();
  const std::string reason(stopped.json().at("reason").as_string());
  EXPECT_NE(reason.find("PostgreSQL projector stopped: stopped on the event at"), std::string::npos) << reason;
  EXPECT_NE(reason.find("OrderPlaced"), std::string::npos) << reason;
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.dead_letters"), "0");
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.orders"), "1");

  {
    pqxx::connection connection(db_->dsn());
    pqxx::work tx(connection);
    tx.exec("ALTER TABLE orderline_v1.orders DROP CONSTRAINT test_small_orders");
    tx.commit();
  }
  projector_.reset();  // SIGTERM; the next one starts from the checkpoint left on the poison event
  std::filesystem::remove(port_file_);
  projector_ = start_projector("projector", db_->dsn(),
                               {"--on-poison", "stop", "--metrics-listen", "127.0.0.1:0", "--port-file", port_file_});
  ASSERT_TRUE(wait_for_value(db_->dsn(), "SELECT count(*) FROM orderline.orders WHERE order_id = '" + poison + "'", "1"))
      << projector_->output();
  EXPECT_EQ(readiness(200).status, 200u) << projector_->output();
}

}  // namespace
}  // namespace orderline::testing
