// Batch + checkpoint atomicity and the compare-and-set fence of the PostgreSQL projector,
// against a real server. The reference in each test is a fresh rebuild of the same log into
// another database: a double-applied or skipped batch would show in the additive summaries.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "projections/postgres/postgres_projector.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::projections::pg {
namespace {

using testing::dump_read_models;
using testing::query_value;

class PostgresCheckpointTest : public testing::PostgresTest {
 protected:
  // The read models of this log folded from scratch into a database of their own.
  std::map<std::string, std::vector<std::string>> fresh_rebuild() {
    testing::TestDatabase fresh(server_);
    PostgresProjector projector(log_, {.dsn = fresh.dsn()});
    auto result = projector.catch_up();
    EXPECT_TRUE(result.ok) << result.error;
    return dump_read_models(fresh.dsn());
  }

  std::string stored_checkpoints() {
    return query_value(db_->dsn(),
                       "SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition) "
                       "FROM orderline.projection_checkpoints WHERE projection = 'orders' AND version = 1");
  }
};

TEST_F(PostgresCheckpointTest, AFailedBatchLeavesNothingAndARestartEqualsAFreshRebuild) {
  const auto events = run_workload(0, 60);
  {
    PostgresProjector first(log_, {.dsn = db_->dsn(), .batch_size = 7});
    ASSERT_TRUE(first.connect_only().ok);
    // A statement that fails in the middle of the stream, as a full disk or a bug would: the
    // batch holding order w41 cannot be written.
    pqxx::connection admin(db_->dsn());
    pqxx::nontransaction(admin).exec(
        "CREATE FUNCTION pg_temp_fail() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'injected failure'; END$$;"
        "CREATE TRIGGER fail_w41 BEFORE INSERT ON orderline_v1.orders FOR EACH ROW "
        "WHEN (NEW.order_id = 'w41') EXECUTE FUNCTION pg_temp_fail()");
    auto result = first.catch_up();
    ASSERT_FALSE(result.ok);
    EXPECT_NE(result.error.find("injected failure"), std::string::npos) << result.error;
    ASSERT_GT(result.events, 0u);       // some batches committed before the failure...
    ASSERT_LT(result.events, events);   // ...and the failed one and the rest did not
    // What committed is exactly what the checkpoints say: their sum is the events applied.
    EXPECT_EQ(query_value(db_->dsn(), "SELECT sum(next_offset) FROM orderline.projection_checkpoints"),
              std::to_string(result.events));
    EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.orders WHERE order_id = 'w41'"), "0");
    pqxx::nontransaction(admin).exec("DROP TRIGGER fail_w41 ON orderline_v1.orders");
  }  // the projector is gone, as after a crash
  PostgresProjector restarted(log_, {.dsn = db_->dsn(), .batch_size = 13});
  auto result = restarted.catch_up();
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(dump_read_models(db_->dsn()), fresh_rebuild());
}

TEST_F(PostgresCheckpointTest, AProjectorWithAStaleCheckpointIsFencedAndAppliesNothing) {
  run_workload(0, 20);
  PostgresProjector zombie(log_, {.dsn = db_->dsn()});
  ASSERT_TRUE(zombie.connect_only().ok);  // reads checkpoints 0, then stalls
  PostgresProjector live(log_, {.dsn = db_->dsn()});
  ASSERT_TRUE(live.catch_up().ok);
  const auto before = dump_read_models(db_->dsn());
  const auto checkpoints = stored_checkpoints();

  auto result = zombie.catch_up();  // wakes up and tries to fold from offset 0 again
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.fenced);
  EXPECT_EQ(result.events, 0u);
  EXPECT_NE(result.error.find("fenced"), std::string::npos) << result.error;
  EXPECT_TRUE(zombie.health().fenced);
  EXPECT_EQ(dump_read_models(db_->dsn()), before);
  EXPECT_EQ(stored_checkpoints(), checkpoints);

  // The live projector goes on as if nothing happened.
  run_workload(20, 5);
  ASSERT_TRUE(live.catch_up().ok);
  EXPECT_EQ(dump_read_models(db_->dsn()), fresh_rebuild());
}

// Two live projectors on one database (two orderd on one DSN): each batch covers some
// partitions, so each may win some and lose others, and both may end fenced. Whatever the
// interleaving, no batch is applied twice, and a projector started afterwards (an operator's
// restart) completes the read models from the stored checkpoints.
TEST_F(PostgresCheckpointTest, TwoProjectorsRacingOnOneDatabaseNeverDoubleApply) {
  PostgresProjector a(log_, {.dsn = db_->dsn(), .batch_size = 5});
  PostgresProjector b(log_, {.dsn = db_->dsn(), .batch_size = 5});
  a.start();
  b.start();
  run_workload(0, 40);  // both follow the log while it grows
  // Each racer either folds everything or is fenced by the other (a fenced projector stops
  // for good, so both may be): wait, bounded, until neither can move any more.
  const auto all_folded = [&] {
    try {
      return query_value(db_->dsn(), "SELECT coalesce(sum(next_offset), 0) FROM orderline.projection_checkpoints") ==
             std::to_string(log_events());
    } catch (const std::exception&) {
      return false;  // the racers have not migrated the schema yet
    }
  };
  for (int i = 0; i < 1200 && !all_folded() && !(a.health().fenced && b.health().fenced); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  a.stop();
  b.stop();
  PostgresProjector restarted(log_, {.dsn = db_->dsn()});
  auto result = restarted.catch_up();
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(query_value(db_->dsn(), "SELECT sum(next_offset) FROM orderline.projection_checkpoints"),
            std::to_string(log_events()));
  EXPECT_EQ(dump_read_models(db_->dsn()), fresh_rebuild());
}

}  // namespace
}  // namespace orderline::projections::pg
