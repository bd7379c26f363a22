// Rebuilding the PostgreSQL read models (real PostgreSQL, real log): version 2 is folded into
// schema orderline_v2 beside the live version 1 while orders keep coming, the views swap in one
// transaction, analysts' queries never see a half-built version, the result equals a fresh fold
// in another database, version 1's schema is gone, and a restarted engine follows version 2.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "projections/postgres/postgres_projections.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

using projections::OperationResult;
using projections::pg::PostgresProjections;

class PostgresRebuildTest : public PostgresTest {
 protected:
  // Waits (bounded: a guard against hanging, not a timing assertion) for the rebuild to end.
  static std::string wait_for_rebuild(const PostgresProjections& projections) {
    for (int i = 0; i < 12000; ++i) {
      const auto status = projections.list().front();
      if (status.rebuild && status.rebuild->finished_at_us != 0) {
        return status.rebuild->state + (status.rebuild->error.empty() ? "" : ": " + status.rebuild->error);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "still running";
  }
};

TEST_F(PostgresRebuildTest, RebuildUnderLiveWritesSwapsViewsAtomicallyAndEndsEqualToAFreshFold) {
  run_workload(0, 150);
  PostgresProjections projections(log_, {.dsn = db_->dsn(), .batch_size = 64});
  projections.start();
  ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
  EXPECT_EQ(projections.list().front().version, 1);

  // An analyst's session asks the views again and again: the order count never drops and no
  // query fails, through the rebuild and the swap.
  std::atomic<bool> done{false};
  std::atomic<int> queries{0};
  std::vector<std::string> failures;
  std::thread analyst([&] {
    pqxx::connection connection(db_->dsn());
    long last = 0;
    while (!done.load()) {
      try {
        pqxx::read_transaction tx(connection);
        const auto orders = tx.exec1("SELECT count(*) FROM orderline.orders")[0].as<long>();
        const auto lines = tx.exec1("SELECT count(*) FROM orderline.order_lines")[0].as<long>();
        if (orders < last || orders < 150 || lines < orders) {
          failures.push_back("saw " + std::to_string(orders) + " orders, " + std::to_string(lines) + " lines after " +
                             std::to_string(last));
        }
        last = orders;
        queries.fetch_add(1);
      } catch (const std::exception& e) {
        failures.push_back(e.what());
      }
    }
  });
  std::thread writer([&] { run_workload(150, 150); });

  ASSERT_EQ(projections.rebuild("orders").code, OperationResult::Code::ok);
  EXPECT_EQ(projections.rebuild("orders").code, OperationResult::Code::conflict);
  EXPECT_EQ(projections.rebuild("order_details").code, OperationResult::Code::not_found);
  EXPECT_EQ(projections.reset("orders").code, OperationResult::Code::unsupported);
  EXPECT_EQ(wait_for_rebuild(projections), "done");
  // At once: "done" means version 2 is live, also before the new live projector has connected.
  EXPECT_EQ(projections.list().front().version, 2);
  writer.join();
  ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
  done.store(true);
  analyst.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " bad answers of " << queries.load() << ", first: "
                                << (failures.empty() ? "" : failures.front());

  EXPECT_EQ(projections.list().front().version, 2);
  EXPECT_EQ(query_value(db_->dsn(), "SELECT live_version FROM orderline.projection_versions WHERE projection = 'orders'"), "2");
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'orderline_v1'"), "0");
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.projection_checkpoints WHERE version = 1"), "0");
  EXPECT_NE(query_value(db_->dsn(), "SELECT pg_get_viewdef('orderline.orders'::regclass)").find("orderline_v2.orders"),
            std::string::npos);

  // Equal, view by view, to a fresh fold of the same log into a database of its own.
  TestDatabase fresh(server_);
  projections::pg::PostgresProjector fresh_projector(log_, {.dsn = fresh.dsn()});
  ASSERT_TRUE(fresh_projector.catch_up().ok);
  projections.stop();
  EXPECT_EQ(dump_read_models(db_->dsn()), dump_read_models(fresh.dsn()));

  // A restarted engine follows version 2 and keeps folding into it.
  run_workload(300, 20);
  PostgresProjections restarted(log_, {.dsn = db_->dsn()});
  restarted.start();
  ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
  EXPECT_EQ(restarted.list().front().version, 2);
  restarted.stop();
  ASSERT_TRUE(fresh_projector.catch_up().ok);
  EXPECT_EQ(dump_read_models(db_->dsn()), dump_read_models(fresh.dsn()));
}

TEST_F(PostgresRebuildTest, PauseHoldsTheProjectorAndResumeCatchesUp) {
  run_workload(0, 20);
  PostgresProjections projections(log_, {.dsn = db_->dsn()});
  projections.start();
  ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
  ASSERT_EQ(projections.pause("orders").code, OperationResult::Code::ok);
  run_workload(20, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto paused = projections.list().front();
  EXPECT_EQ(paused.state, "paused");
  EXPECT_GT(paused.lag_events, 0u);
  ASSERT_EQ(projections.resume("orders").code, OperationResult::Code::ok);
  EXPECT_TRUE(wait_for_checkpoints(db_->dsn()));
  // The projector's own copy of its checkpoints follows its commit, which the database shows
  // first: wait for it (bounded), so a flake of that microsecond is not read as lag.
  std::uint64_t lag = projections.list().front().lag_events;
  for (int i = 0; i < 400 && lag != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    lag = projections.list().front().lag_events;
  }
  EXPECT_EQ(lag, 0u);
}

}  // namespace
}  // namespace orderline::testing
