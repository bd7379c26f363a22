#pragma once
// PostgreSQL for integration tests: the server scripts/test started (ORDERLINE_PG), a fresh
// database per test (created from that server, dropped afterwards), and an event log filled by
// the real command processor, so the projector folds the events the engine really writes.
//
// Without ORDERLINE_PG a test fails when CI is set (CI must never pass by skipping) and skips
// with a message otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/engine_fixture.h"

namespace orderline::testing {

inline const char* postgres_server() { return std::getenv("ORDERLINE_PG"); }

// The same server, another database: a URI gets its path replaced, a key=value string a dbname.
inline std::string with_database(const std::string& dsn, const std::string& database) {
  const auto scheme = dsn.find("://");
  if (scheme == std::string::npos) return dsn + " dbname=" + database;
  const auto query = dsn.find('?', scheme);
  const auto slash = dsn.find('/', scheme + 3);
  const auto end = query == std::string::npos ? dsn.size() : query;
  const auto host_end = slash == std::string::npos || slash > end ? end : slash;
  return dsn.substr(0, host_end) + "/" + database + dsn.substr(end);
}

// A database of its own, dropped (with any session still in it) on destruction.
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& server_dsn) : server_(server_dsn) {
    static std::atomic<int> counter{0};
    name_ = "orderline_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    pqxx::connection admin(server_);
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
    dsn_ = with_database(server_, name_);
  }
  ~TestDatabase() {
    try {
      pqxx::connection admin(server_);
      pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop test database " << name_ << ": " << e.what();
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return name_; }

 private:
  std::string server_, name_, dsn_;
};

// A PostgreSQL server of the test's own (scripts/postgres in a temporary directory), for tests
// that stop and start the server; stopped on destruction.
class PrivatePostgres {
 public:
  PrivatePostgres() {
    int status = 0;
    const auto out = run_command({script_, "start", "--port", "0", "--dir", dir_.path()}, &status);
    const std::string prefix = "ORDERLINE_PG=";
    if (status != 0 || out.rfind(prefix, 0) != 0) throw std::runtime_error("scripts/postgres start failed: " + out);
    dsn_ = out.substr(prefix.size(), out.find('\n') - prefix.size());
    const auto colon = dsn_.rfind(':');
    port_ = dsn_.substr(colon + 1, dsn_.rfind('/') - colon - 1);
  }
  ~PrivatePostgres() { run_command({script_, "stop", "--dir", dir_.path()}); }
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  const std::string& dsn() const { return dsn_; }
  bool stop() { return run(std::vector<std::string>{script_, "stop", "--dir", dir_.path()}); }
  // On the port it had, so clients that knew the server find it again.
  bool start() { return run(std::vector<std::string>{script_, "start", "--port", port_, "--dir", dir_.path()}); }

 private:
  static bool run(const std::vector<std::string>& argv) {
    int status = 0;
    run_command(argv, &status);
    return status == 0;
  }
  std::string script_ = ORDERLINE_SOURCE_DIR "/scripts/postgres";
  TempDir dir_;
  std::string dsn_, port_;
};

// Every row of a query as text ("a|b|c"), in the query's order.
inline std::vector<std::string> query_rows(const std::string& dsn, const std::string& sql) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  std::vector<std::string> rows;
  for (const auto& row : tx.exec(sql)) {
    std::string line;
    for (const auto& field : row) {
      if (!line.empty() || field.num() > 0) line += '|';
      line += field.is_null() ? "NULL" : field.c_str();
    }
    rows.push_back(std::move(line));
  }
  return rows;
}

inline std::string query_value(const std::string& dsn, const std::string& sql) {
  auto rows = query_rows(dsn, sql);
  return rows.empty() ? "<no row>" : rows.front();
}

// Everything the read models hold, view by view, in a stable order: two databases folded
// from the same log must compare equal.
inline std::map<std::string, std::vector<std::string>> dump_read_models(const std::string& dsn) {
  std::map<std::string, std::vector<std::string>> dump;
  for (const char* view : {"orders", "order_lines", "order_status_history", "customer_summaries", "sales_per_day",
                           "sales_per_day_and_product"}) {
    dump[view] = query_rows(dsn, std::string("SELECT t::text FROM orderline.") + view + " t ORDER BY 1");
  }
  return dump;
}

// A test with ORDERLINE_PG's server, a fresh database and an embedded log of kPartitions.
class PostgresTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kPartitions = 4;

  PostgresTest() : log_({log_dir_.path(), kPartitions}) {}

  void SetUp() override {
    const char* server = postgres_server();
    if (!server || !*server) {
      if (std::getenv("CI")) {
        FAIL() << "ORDERLINE_PG is not set: CI must run the PostgreSQL tests against a real server "
                  "(scripts/test starts one with scripts/postgres)";
      }
      GTEST_SKIP() << "ORDERLINE_PG is not set: start a server with `scripts/postgres start --port 0` and export "
                      "the ORDERLINE_PG it prints (scripts/test does this)";
    }
    server_ = server;
    db_ = std::make_unique<TestDatabase>(server_);
  }

  // Runs one command through the real processor of its partition; now_us is its business time.
  commands::CommandReply run(const v1::Command& command, std::int64_t now_us = 0) {
    auto lookups = fixed_lookups();
    if (now_us) lookups.now_us = [now_us] { return now_us; };
    const auto p = eventstore::partition_for(command.stream_id(), kPartitions);
    commands::PartitionProcessor processor(p, log_, lookups, {});
    auto reply = processor.process({command}).front();
    EXPECT_TRUE(reply.outcome.accepted()) << command.command_id() << ": " << reply.outcome.error_detail();
    return reply;
  }

  static v1::Command return_action(const std::string& order_id, bool receive) {
    v1::Command command;
    command.set_command_id(std::string(receive ? "receive-" : "return-") + order_id);
    command.set_stream_id(domain::order_stream(order_id));
    command.set_expected_version(-1);
    command.set_request_hash(receive ? "receive" : "return");
    v1::OrderAction body;
    body.set_order_id(order_id);
    body.set_return_id("ret-" + order_id);
    body.set_reason(receive ? "parcel received" : "does not fit");
    if (receive) *command.mutable_receive_return() = body;
    else *command.mutable_request_return() = body;
    return command;
  }

  // Orders first..first+count-1 of a mixed workload across customers, days and partitions:
  // some only placed, some paid, some delivered, some cancelled. Returns the events written.
  std::uint64_t run_workload(int first, int count) {
    constexpr std::int64_t kStart = 1'764'000'000'000'000, kHour = 3'600'000'000;
    std::uint64_t events = 0;
    for (int i = first; i < first + count; ++i) {
      const auto id = "w" + std::to_string(i);
      const auto at = kStart + i * 7 * kHour;  // spreads placements over many days
      std::vector<std::pair<std::string, int>> lines{{"SKU-1", 1 + i % 3}};
      if (i % 2) lines.emplace_back("SKU-2", 1 + i % 5);
      run(place_order(id, "cust-" + std::to_string(i % 7), lines), at);
      ++events;
      std::vector<std::string> actions;
      if (i % 4 == 1) actions = {"pay"};
      if (i % 4 == 2) actions = {"pay", "ship", "deliver"};
      if (i % 4 == 3) actions = {"cancel"};
      for (const auto& action : actions) run(order_action(id, action), at + kHour), ++events;
    }
    return events;
  }

  std::uint64_t log_events() const {
    std::uint64_t total = 0;
    for (std::uint32_t p = 0; p < kPartitions; ++p) total += log_.end_offset(p);
    return total;
  }

  // Waits (bounded, as a guard against hanging, not as an assertion on speed) until the
  // checkpoints stored in `dsn` cover the whole log.
  bool wait_for_checkpoints(const std::string& dsn, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto target = std::to_string(log_events());
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (query_value(dsn, "SELECT coalesce(sum(next_offset), 0) FROM orderline.projection_checkpoints") == target) {
          return true;
        }
      } catch (const std::exception&) {
        // The server is down or the schema not there yet: keep waiting.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string server_;
  std::unique_ptr<TestDatabase> db_;
  TempDir log_dir_;
  eventstore::EmbeddedLog log_;
};

}  // namespace orderline::testing
