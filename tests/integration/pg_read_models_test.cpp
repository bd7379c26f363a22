// The PostgreSQL read models against a real server: migrations, an order's life, and the
// customer summaries and daily sales of a hand-computed scenario, folded one event per
// transaction and in larger batches (which exercises loading orders placed in earlier batches).
#include <gtest/gtest.h>

#include <thread>

#include "projections/postgres/migrations.h"
#include "projections/postgres/postgres_projections.h"
#include "projections/postgres/postgres_projector.h"
#include "eventstore/partitioning.h"
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

  // A rule the events of customer "blocked" break (constraint test_no_blocked), standing in for
  // any data error the server reports (class 23); false takes it away again.
  static void block_customer(const std::string& dsn, bool on) {
    pqxx::connection connection(dsn);
    apply_migrations(connection);
    pqxx::work tx(connection);
    tx.exec(on ? "ALTER TABLE orderline_v1.orders ADD CONSTRAINT test_no_blocked CHECK (customer_id <> 'blocked')"
               : "ALTER TABLE orderline_v1.orders DROP CONSTRAINT test_no_blocked");
    tx.commit();
  }
};

TEST_F(PostgresReadModelsTest, MigrationsApplyOnceAndAgainAsNoOp) {
  pqxx::connection connection(db_->dsn());
  EXPECT_EQ(apply_migrations(connection), static_cast<int>(migrations().size()));
  EXPECT_EQ(apply_migrations(connection), 0);
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.schema_migrations"),
            std::to_string(migrations().size()));
  EXPECT_EQ(query_value(db_->dsn(), "SELECT string_agg(name, ',' ORDER BY version) FROM orderline.schema_migrations"),
            "001_checkpoints,002_orders_v1,003_stable_views,004_order_search_indexes,005_projection_versions,"
            "006_dead_letters");
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

// A poison event (data the tables cannot hold) is retried, parked as a dead letter in the
// transaction that moves its checkpoint, and the events around it fold; operators list it,
// retry it (still failing, then folding once the cause is gone) and skip it.
TEST_F(PostgresReadModelsTest, APoisonEventIsParkedAndTheOthersFold) {
  const auto dsn = db_->dsn();
  block_customer(dsn, true);
  run(place_order("o1", "cust-1", {{"SKU-1", 1}}), kDayA);
  run(place_order("o2", "blocked", {{"SKU-1", 1}}), kDayA);
  // PostgreSQL text cannot hold a NUL (class 22): such an event was once accepted from the API.
  run(place_order("o3", std::string("cust\0nul", 8), {{"SKU-2", 1}}), kDayA);
  run(place_order("o4", "cust-4", {{"SKU-2", 2}}), kDayA);
  run(order_action("o1", "pay"), kDayA + kHourUs);

  PostgresProjectorOptions options{.dsn = dsn, .min_backoff = std::chrono::milliseconds(1), .poison_attempts = 2};
  {
    PostgresProjector projector(log_, options);
    auto result = projector.catch_up();
    ASSERT_TRUE(result.ok) << result.error;
    std::uint64_t end = 0, folded = 0;
    for (std::uint32_t p = 0; p < kPartitions; ++p) end += log_.end_offset(p);
    for (auto checkpoint : projector.checkpoints()) folded += checkpoint;
    EXPECT_EQ(folded, end) << "the checkpoints stop short of the log's end";
  }
  EXPECT_EQ(query_rows(dsn, "SELECT order_id, payment_status FROM orderline.orders ORDER BY order_id"),
            (std::vector<std::string>{"o1|captured", "o4|not_paid"}));
  EXPECT_EQ(query_rows(dsn, "SELECT stream_id, event_type, attempts, error LIKE '%test_no_blocked%' "
                            "FROM orderline.dead_letters WHERE stream_id = 'order-o2'"),
            std::vector<std::string>{"order-o2|OrderPlaced|2|t"});
  EXPECT_EQ(query_value(dsn, "SELECT count(*) FROM orderline.dead_letters WHERE stream_id = 'order-o3'"), "1");
  {
    PostgresProjector again(log_, options);
    EXPECT_EQ(again.catch_up().events, 0u) << "a parked event is folded again";
  }

  PostgresProjections operations(log_, options);
  auto letters = operations.dead_letters("", 10);
  ASSERT_EQ(letters.size(), 2u);
  std::string o2_id;
  for (const auto& letter : letters) {
    EXPECT_EQ(letter.projection(), "orders");
    if (letter.stream_id() == "order-o2") o2_id = dead_letter_id(letter);
  }
  ASSERT_FALSE(o2_id.empty());
  auto still = operations.retry_dead_letter(o2_id);
  EXPECT_EQ(still.code, OperationResult::Code::conflict) << still.detail;
  EXPECT_EQ(query_value(dsn, "SELECT attempts FROM orderline.dead_letters WHERE stream_id = 'order-o2'"), "3");
  block_customer(dsn, false);
  auto folded = operations.retry_dead_letter(o2_id);
  EXPECT_EQ(folded.code, OperationResult::Code::ok) << folded.detail;
  EXPECT_EQ(query_value(dsn, "SELECT customer_id FROM orderline.orders WHERE order_id = 'o2'"), "blocked");
  EXPECT_EQ(operations.retry_dead_letter(o2_id).code, OperationResult::Code::not_found);

  letters = operations.dead_letters("orders", 10);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].stream_id(), "order-o3");
  EXPECT_EQ(operations.skip_dead_letter(dead_letter_id(letters[0])).code, OperationResult::Code::ok);
  EXPECT_EQ(operations.skip_dead_letter(dead_letter_id(letters[0])).code, OperationResult::Code::not_found);
  EXPECT_TRUE(operations.dead_letters("", 10).empty());
  EXPECT_EQ(operations.skip_dead_letter("elsewhere:0:1").code, OperationResult::Code::not_found);
}

// --on-poison stop, as a RocksDB projection does it: the projector stops on the poison event
// (after its retries) with everything before it folded and nothing after it, its checkpoint on
// the event, the reason in the projection's status and health (which /readyz reports), nothing
// parked; `projections resume` tries the event again, and once the cause is gone it folds, then
// the events after it, in log order. A record that does not decode stops it at once.
TEST_F(PostgresReadModelsTest, StopOnPoisonHaltsOnTheEventAndResumeRetriesIt) {
  const auto dsn = db_->dsn();
  block_customer(dsn, true);
  run(place_order("o1", "cust-1", {{"SKU-1", 1}}), kDayA);
  const auto poison_partition = eventstore::partition_for("order-o2", kPartitions);
  const auto poison_offset = log_.end_offset(poison_partition);
  run(place_order("o2", "blocked", {{"SKU-1", 1}}), kDayA);
  run(order_action("o2", "pay"), kDayA + kHourUs);  // after the poison, in its partition
  run(place_order("o4", "cust-4", {{"SKU-2", 2}}), kDayA);

  PostgresProjectorOptions options{.dsn = dsn, .min_backoff = std::chrono::milliseconds(1), .poison_attempts = 2,
                                   .on_poison = PoisonPolicy::stop};
  PostgresProjections operations(log_, options);
  // "failed" also names a projector that has not connected yet: wait for the stop itself.
  auto wait_for_state = [&](const std::string& state) {
    ProjectionStatus status;
    for (int i = 0; i < 2000; ++i) {  // a bound against hanging, not a timing assertion
      status = operations.list().front();
      if (status.state == state && operations.health().stopped == (state == "failed")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status;
  };
  operations.start();
  auto stopped = wait_for_state("failed");
  ASSERT_EQ(stopped.state, "failed") << stopped.error;
  const auto where = std::to_string(poison_partition) + "/" + std::to_string(poison_offset);
  EXPECT_NE(stopped.error.find("stopped on the event at " + where + " (OrderPlaced, stream order-o2)"),
            std::string::npos) << stopped.error;
  EXPECT_NE(stopped.error.find("test_no_blocked"), std::string::npos) << stopped.error;
  EXPECT_EQ(stopped.checkpoints[poison_partition], poison_offset) << "the poison event stays the next to fold";
  EXPECT_GT(stopped.lag_events, 0u);
  EXPECT_TRUE(operations.health().stopped);
  EXPECT_NE(operations.stats().failure.find(where), std::string::npos);
  EXPECT_EQ(query_value(dsn, "SELECT next_offset FROM orderline.projection_checkpoints WHERE partition = " +
                                 std::to_string(poison_partition)),
            std::to_string(poison_offset));
  EXPECT_EQ(query_value(dsn, "SELECT count(*) FROM orderline.orders WHERE order_id = 'o2'"), "0");
  EXPECT_TRUE(operations.dead_letters("", 10).empty()) << "stop parks nothing";

  // Resumed with the cause still there: it stops on the same event again.
  ASSERT_EQ(operations.resume("orders").code, OperationResult::Code::ok);
  stopped = wait_for_state("failed");
  ASSERT_EQ(stopped.state, "failed");
  EXPECT_EQ(stopped.checkpoints[poison_partition], poison_offset);

  block_customer(dsn, false);
  ASSERT_EQ(operations.resume("orders").code, OperationResult::Code::ok);
  ASSERT_TRUE(wait_for_checkpoints(dsn, std::chrono::seconds(60)));
  const auto running = wait_for_state("running");
  EXPECT_EQ(running.state, "running") << running.error;
  EXPECT_TRUE(running.error.empty()) << running.error;
  // The payment after the poison event was folded after it: o2 ends paid, not placed.
  EXPECT_EQ(query_rows(dsn, "SELECT order_id, customer_id, payment_status FROM orderline.orders ORDER BY order_id"),
            (std::vector<std::string>{"o1|cust-1|not_paid", "o2|blocked|captured", "o4|cust-4|not_paid"}));

  // A record that does not decode: no retry, it stops there at once.
  eventstore::AppendBatch garbage;
  garbage.records.push_back({"order-o2", "definitely not protobuf", 3});
  const auto garbage_offset = log_.end_offset(poison_partition);
  ASSERT_TRUE(log_.append(poison_partition, garbage));
  stopped = wait_for_state("failed");
  ASSERT_EQ(stopped.state, "failed");
  EXPECT_NE(stopped.error.find("at " + std::to_string(poison_partition) + "/" + std::to_string(garbage_offset)),
            std::string::npos) << stopped.error;
  EXPECT_NE(stopped.error.find("does not decode"), std::string::npos) << stopped.error;
  EXPECT_TRUE(operations.dead_letters("", 10).empty());
  operations.stop();
}

}  // namespace
}  // namespace orderline::projections::pg
