// The PostgreSQL read models against a real server: migrations, an order's life, and the
// customer summaries and daily sales of a hand-computed scenario, folded one event per
// transaction and in larger batches (which exercises loading orders placed in earlier batches).
#include <gtest/gtest.h>

#include <thread>

#include "projections/postgres/migrations.h"
#include "projections/postgres/postgres_projector.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::projections::pg {
namespace {

using testing::order_action;
using testing::place_order;
using testing::query_rows;
using testing::query_value;

constexpr std::int64_t kHourUs = 3'600'000'000;
constexpr std::int64_t kDayA = 1'764'000'000'000'000;  // 2025-11-24T16:00:00Z
constexpr std::int64_t kDayB = kDayA + 24 * kHourUs;    // 2025-11-25T16:00:00Z

class PostgresReadModelsTest : public testing::PostgresTest {
 protected:
  PostgresProjector::CatchUpResult project(std::size_t batch_size = 4096) {
    PostgresProjector projector(log_, {.dsn = db_->dsn(), .batch_size = batch_size});
    auto result = projector.catch_up();
    EXPECT_TRUE(result.ok) << result.error;
    return result;
  }
};

TEST_F(PostgresReadModelsTest, MigrationsApplyOnceAndAgainAsNoOp) {
  pqxx::connection connection(db_->dsn());
  EXPECT_EQ(apply_migrations(connection), static_cast<int>(migrations().size()));
  EXPECT_EQ(apply_migrations(connection), 0);
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.schema_migrations"),
            std::to_string(migrations().size()));
  EXPECT_EQ(query_value(db_->dsn(), "SELECT string_agg(name, ',' ORDER BY version) FROM orderline.schema_migrations"),
            "001_checkpoints,002_orders_v1,003_stable_views,004_order_search_indexes");
  // Every view answers (an empty read model is still a valid one).
  EXPECT_EQ(testing::dump_read_models(db_->dsn()).size(), 6u);
}

TEST_F(PostgresReadModelsTest, ConcurrentStartersApplyEachMigrationOnce) {
  std::atomic<int> applied{0};
  std::vector<std::thread> starters;
  for (int i = 0; i < 3; ++i) {
    starters.emplace_back([&] {
      pqxx::connection connection(db_->dsn());
      applied += apply_migrations(connection);
    });
  }
  for (auto& t : starters) t.join();
  EXPECT_EQ(applied.load(), static_cast<int>(migrations().size()));
}

TEST_F(PostgresReadModelsTest, AnOrderLifeIsFoldedIntoHeaderLinesAndHistory) {
  run(place_order("o1", "cust-1", {{"SKU-1", 2}, {"SKU-2", 1}}), kDayA);
  run(order_action("o1", "pay"), kDayA + kHourUs);
  run(order_action("o1", "ship"), kDayA + 2 * kHourUs);
  run(order_action("o1", "deliver"), kDayA + 3 * kHourUs);
  EXPECT_EQ(project().events, 4u);

  const auto dsn = db_->dsn();
  EXPECT_EQ(query_rows(dsn,
                       "SELECT order_id, customer_id, status, payment_status, fulfillment_status, currency, "
                       "total_minor, version, extract(epoch FROM created_at)::bigint, "
                       "extract(epoch FROM updated_at)::bigint FROM orderline.orders"),
            std::vector<std::string>{"o1|cust-1|completed|captured|delivered|EUR|2250|4|1764000000|1764010800"});
  EXPECT_EQ(query_rows(dsn,
                       "SELECT line_no, sku, name, quantity, unit_price_minor, currency FROM orderline.order_lines "
                       "WHERE order_id = 'o1' ORDER BY line_no"),
            (std::vector<std::string>{"1|SKU-1|Product SKU-1|2|1000|EUR", "2|SKU-2|Product SKU-2|1|250|EUR"}));
  EXPECT_EQ(query_rows(dsn,
                       "SELECT stream_version, machine, from_status, to_status, event_type, "
                       "extract(epoch FROM at)::bigint - 1764000000 FROM orderline.order_status_history "
                       "WHERE order_id = 'o1' ORDER BY stream_version, machine"),
            (std::vector<std::string>{
                "1|fulfillment||unfulfilled|OrderPlaced|0",
                "1|order||placed|OrderPlaced|0",
                "1|payment||not_paid|OrderPlaced|0",
                "2|order|placed|confirmed|OrderPaid|3600",
                "2|payment|not_paid|captured|OrderPaid|3600",
                "3|fulfillment|unfulfilled|shipped|OrderShipped|7200",
                "4|fulfillment|shipped|delivered|OrderDelivered|10800",
                "4|order|confirmed|completed|OrderDelivered|10800",
            }));
  // Nothing else in the log: the checkpoints stand at the end of every partition.
  EXPECT_EQ(query_value(dsn, "SELECT sum(next_offset) FROM orderline.projection_checkpoints WHERE projection = 'orders'"),
            "4");
}

// Every value travels in a bound array parameter; text that would break a naive array literal
// or SQL string comes back unchanged.
TEST_F(PostgresReadModelsTest, AwkwardTextRoundTripsThroughTheBulkWrites) {
  const std::vector<std::string> customers = {
      R"(quote"d)", R"(back\slash)", "{braces},commas", "'; DROP TABLE orderline_v1.orders; --", "NULL",
      "caf\u00e9 \u6f22\u5b57"};
  for (std::size_t i = 0; i < customers.size(); ++i) {
    run(place_order("odd-" + std::to_string(i), customers[i]), kDayA);
  }
  // Reasons reach the history through COPY, which has escapes of its own.
  for (std::size_t i = 0; i < customers.size(); ++i) {
    auto cancel = order_action("odd-" + std::to_string(i), "cancel");
    cancel.mutable_cancel_order()->set_reason(customers[i] + "\ttab\nnewline\\N");
    run(cancel, kDayA + kHourUs);
  }
  project();
  auto stored = query_rows(db_->dsn(), "SELECT customer_id FROM orderline.orders ORDER BY order_id");
  EXPECT_EQ(stored, customers);
  auto reasons = query_rows(db_->dsn(),
                            "SELECT reason FROM orderline.order_status_history WHERE machine = 'order' "
                            "AND event_type = 'OrderCancelled' ORDER BY order_id");
  ASSERT_EQ(reasons.size(), customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) EXPECT_EQ(reasons[i], customers[i] + "\ttab\nnewline\\N");
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.customer_summaries"),
            std::to_string(customers.size()));
}

// The scenario of the docs, by hand (prices: SKU-1 1000, SKU-2 250 EUR):
//   day A  o1 cust-1 SKU-1 x2 + SKU-2 x1 = 2250, delivered            counts
//   day A  o2 cust-1 SKU-2 x4           = 1000, cancelled            does not count
//   day B  o3 cust-1 SKU-1 x1           = 1000, delivered, returned  does not count
//   day B  o4 cust-2 SKU-1 x3           = 3000, placed               counts
//   day B  o5 cust-1 SKU-2 x2           =  500, return requested     counts
class PostgresSummariesTest : public PostgresReadModelsTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(PostgresSummariesTest, CustomerSummariesAndSalesMatchTheHandComputedValues) {
  run(place_order("o1", "cust-1", {{"SKU-1", 2}, {"SKU-2", 1}}), kDayA);
  run(place_order("o2", "cust-1", {{"SKU-2", 4}}), kDayA + kHourUs);
  run(place_order("o3", "cust-1", {{"SKU-1", 1}}), kDayB);
  run(place_order("o4", "cust-2", {{"SKU-1", 3}}), kDayB + kHourUs);
  run(place_order("o5", "cust-1", {{"SKU-2", 2}}), kDayB + 2 * kHourUs);
  const auto later = kDayB + 5 * kHourUs;
  for (const char* id : {"o1", "o3", "o5"}) {
    for (const char* action : {"pay", "ship", "deliver"}) run(order_action(id, action), later);
  }
  run(order_action("o2", "cancel"), later);
  run(return_action("o3", false), later);
  run(return_action("o3", true), later);
  run(return_action("o5", false), later);
  project(GetParam());

  const auto dsn = db_->dsn();
  EXPECT_EQ(query_value(dsn, "SELECT string_agg(order_id || ':' || status, ',' ORDER BY order_id) FROM orderline.orders"),
            "o1:completed,o2:cancelled,o3:returned,o4:placed,o5:return_requested");
  EXPECT_EQ(query_rows(dsn,
                       "SELECT customer_id, currency, orders_placed, orders_cancelled, orders_returned, order_count, "
                       "lifetime_value_minor, extract(epoch FROM first_order_at)::bigint, "
                       "extract(epoch FROM last_order_at)::bigint FROM orderline.customer_summaries ORDER BY 1, 2"),
            (std::vector<std::string>{"cust-1|EUR|4|1|1|2|2750|1764000000|1764093600",
                                      "cust-2|EUR|1|0|0|1|3000|1764090000|1764090000"}));
  EXPECT_EQ(query_rows(dsn, "SELECT day, currency, orders, revenue_minor FROM orderline.sales_per_day ORDER BY 1, 2"),
            (std::vector<std::string>{"2025-11-24|EUR|1|2250", "2025-11-25|EUR|2|3500"}));
  EXPECT_EQ(query_rows(dsn,
                       "SELECT day, sku, currency, quantity, revenue_minor, orders "
                       "FROM orderline.sales_per_day_and_product ORDER BY 1, 2, 3"),
            (std::vector<std::string>{"2025-11-24|SKU-1|EUR|2|2000|1", "2025-11-24|SKU-2|EUR|1|250|1",
                                      "2025-11-25|SKU-1|EUR|3|3000|1", "2025-11-25|SKU-2|EUR|2|500|1"}));
}

// 1: every event its own transaction; 3: orders straddle batches; 4096: all in one.
INSTANTIATE_TEST_SUITE_P(BatchSizes, PostgresSummariesTest, ::testing::Values(1, 3, 4096));

}  // namespace
}  // namespace orderline::projections::pg
