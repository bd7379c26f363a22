// The PostgreSQL projector when the server goes away: its sessions killed by an operator, and
// the whole server stopped and started again on the same port. It reconnects with backoff and
// resumes from the stored checkpoints; the result equals a fresh rebuild (nothing lost, nothing
// applied twice).
#include <gtest/gtest.h>

#include "projections/postgres/postgres_projector.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::projections::pg {
namespace {

using testing::dump_read_models;
using testing::query_value;

PostgresProjectorOptions quick_retries(const std::string& dsn) {
  PostgresProjectorOptions options;
  options.dsn = dsn;
  options.batch_size = 16;
  options.min_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(200);
  options.ping_interval = std::chrono::milliseconds(50);
  return options;
}

// Waits (bounded) until the projector's view of the server is `connected`.
bool wait_for_connected(const PostgresProjector& projector, bool connected) {
  for (int i = 0; i < 2400; ++i) {
    if (projector.health().connected == connected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

class PostgresReconnectTest : public testing::PostgresTest {
 protected:
  std::map<std::string, std::vector<std::string>> fresh_rebuild(const std::string& server) {
    testing::TestDatabase fresh(server);
    PostgresProjector projector(log_, {.dsn = fresh.dsn()});
    auto result = projector.catch_up();
    EXPECT_TRUE(result.ok) << result.error;
    return dump_read_models(fresh.dsn());
  }
};

TEST_F(PostgresReconnectTest, TerminatedSessionsAreReconnectedWithoutLossOrDuplicates) {
  PostgresProjector projector(log_, quick_retries(db_->dsn()));
  projector.start();
  int terminated = 0;
  for (int round = 0; round < 5; ++round) {
    run_workload(round * 12, 12);
    ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
    // What an operator's pg_terminate_backend (or a failover) does to the projector's session.
    terminated += std::stoi(query_value(
        db_->dsn(),
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'orderline-projector'"));
  }
  run_workload(60, 12);
  ASSERT_TRUE(wait_for_checkpoints(db_->dsn()));
  projector.stop();
  EXPECT_GE(terminated, 5);  // every round really cut the session
  EXPECT_EQ(dump_read_models(db_->dsn()), fresh_rebuild(server_));
}

// A server of its own (scripts/postgres), stopped and started again on the same port while
// the projector follows the log.
TEST_F(PostgresReconnectTest, AServerRestartIsRiddenOutAndTheProjectorCatchesUp) {
  testing::PrivatePostgres server;
  testing::TestDatabase db(server.dsn());
  PostgresProjector projector(log_, quick_retries(db.dsn()));
  projector.start();
  run_workload(0, 20);
  ASSERT_TRUE(wait_for_checkpoints(db.dsn()));

  ASSERT_TRUE(server.stop());
  ASSERT_TRUE(wait_for_connected(projector, false));
  EXPECT_FALSE(projector.health().error.empty());
  run_workload(20, 20);  // the log moves on while PostgreSQL is down

  ASSERT_TRUE(server.start());
  ASSERT_TRUE(wait_for_checkpoints(db.dsn()));
  ASSERT_TRUE(wait_for_connected(projector, true));
  projector.stop();
  EXPECT_EQ(dump_read_models(db.dsn()), fresh_rebuild(server.dsn()));
}

}  // namespace
}  // namespace orderline::projections::pg
