// kill -9 of orderd in the middle of a PostgreSQL batch: the open transaction (checkpoints
// already advanced, some read-model rows written) dies with the process, and the restarted
// orderd ends with read models equal to a fresh rebuild of the same log: nothing applied twice,
// nothing skipped.
#include <gtest/gtest.h>

#include <filesystem>

#include "projections/postgres/migrations.h"
#include "projections/postgres/postgres_projector.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

using projections::pg::PostgresProjector;

// Waits (bounded: a guard against hanging, not a timing assertion) until a query answers `expected`.
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

class PostgresKillTest : public PostgresTest {};

TEST_F(PostgresKillTest, KillNineMidBatchThenRestartEqualsAFreshRebuild) {
  // A log with history, handed to orderd as its data directory.
  const auto first_events = run_workload(0, 100);
  log_.close();
  TempDir data;
  std::filesystem::create_directories(data.path() + "/data");
  std::filesystem::create_directory_symlink(log_dir_.path(), data.path() + "/data/log");
  const std::vector<std::string> args = {"--pg", db_->dsn(), "--partitions", std::to_string(kPartitions),
                                         "--no-demo-catalogue"};
  {
    pqxx::connection connection(db_->dsn());
    projections::pg::apply_migrations(connection);
    // The server notices a vanished client even while a statement runs (PostgreSQL 14+), so the
    // killed projector's transaction is rolled back at once, as after a real crash.
    pqxx::nontransaction(connection)
        .exec("ALTER DATABASE " + db_->name() + " SET client_connection_check_interval = '100ms'");
  }
  const std::string checkpoint_sum = "SELECT sum(next_offset) FROM orderline.projection_checkpoints";

  auto orderd = std::make_unique<OrderdProcess>(data.path() + "/data", args);
  ASSERT_TRUE(wait_for_value(db_->dsn(), checkpoint_sum, std::to_string(first_events))) << orderd->output();

  // New events through the API; the batch that carries them stalls on the order's insert.
  HttpClient client(orderd->port());
  client.set_default_headers(testing::admin_bearer());
  const HeaderList staff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};
  ASSERT_EQ(client.post("/api/v1/admin/products",
                        R"({"sku": "KILL-1", "name": "Kill", "price": {"amount_minor": 700, "currency": "EUR"},
                            "stock": 50})",
                        staff)
                .status,
            201u);
  auto customer = client.post("/api/v1/customers", R"({"email": "k@example.com", "name": "K"})");
  ASSERT_EQ(customer.status, 201u);
  const std::string customer_id(customer.json().at("customer_id").as_string());
  {
    pqxx::connection connection(db_->dsn());
    pqxx::nontransaction(connection)
        .exec("CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS "
              "$$BEGIN PERFORM pg_sleep(120); RETURN NEW; END$$;"
              "CREATE TRIGGER stall BEFORE INSERT ON orderline_v1.orders FOR EACH ROW "
              "WHEN (NEW.customer_id = '" + customer_id + "') EXECUTE FUNCTION stall()");
  }
  // The product and the customer (one event each) are folded before the order arrives.
  const auto before_order = std::to_string(first_events + 2);
  ASSERT_TRUE(wait_for_value(db_->dsn(), checkpoint_sum, before_order));
  ASSERT_EQ(client.post("/api/v1/orders",
                        R"({"customer_id": ")" + customer_id +
                            R"(", "currency": "EUR", "lines": [{"sku": "KILL-1", "quantity": 3}]})",
                        {{"Idempotency-Key", "kill-order"}})
                .status,
            201u);
  const std::string stalled =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
      "AND application_name = 'orderline-projector' AND wait_event = 'PgSleep'";
  ASSERT_TRUE(wait_for_value(db_->dsn(), stalled, "1"));
  orderd->kill9();  // mid-transaction: checkpoints moved, rows written, nothing committed
  ASSERT_TRUE(wait_for_value(db_->dsn(), stalled, "0"));
  EXPECT_EQ(query_value(db_->dsn(), checkpoint_sum), before_order);
  query_rows(db_->dsn(), "DROP TRIGGER stall ON orderline_v1.orders");

  orderd = std::make_unique<OrderdProcess>(data.path() + "/data", args);
  ASSERT_TRUE(wait_for_value(db_->dsn(), "SELECT count(*) FROM orderline.orders WHERE customer_id = '" +
                                             customer_id + "'", "1"))
      << orderd->output();
  orderd.reset();  // SIGTERM: drains and stops

  eventstore::EmbeddedLog log({log_dir_.path(), kPartitions});
  std::uint64_t total = 0;
  for (std::uint32_t p = 0; p < kPartitions; ++p) total += log.end_offset(p);
  EXPECT_EQ(query_value(db_->dsn(), checkpoint_sum), std::to_string(total));
  TestDatabase fresh(server_);
  PostgresProjector rebuild(log, {.dsn = fresh.dsn()});
  ASSERT_TRUE(rebuild.catch_up().ok);
  EXPECT_EQ(dump_read_models(db_->dsn()), dump_read_models(fresh.dsn()));
}

}  // namespace
}  // namespace orderline::testing
