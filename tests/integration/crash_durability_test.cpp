// A power cut at an arbitrary moment loses no acknowledged command: the embedded log syncs
// before the command bus replies. A control run with sync off proves the simulated power
// cut really drops unsynced writes (so the main test can fail).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "commands/local_command_bus.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/embedded_log.h"
#include "tests/support/crash_file_system.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

struct CrashRun {
  std::set<std::string> acknowledged;  // command ids acknowledged before the power cut
  std::size_t lost = 0;                // of those, missing after restart
  std::size_t duplicated = 0;          // streams with more than their one event
};

v1::Command register_customer(int i) {
  v1::Command command;
  const std::string id = "c" + std::to_string(i);
  command.set_command_id("register-" + id);
  command.set_stream_id(domain::customer_stream(id));
  command.set_expected_version(-1);
  command.set_request_hash("h");
  auto* body = command.mutable_register_customer();
  body->set_customer_id(id);
  body->set_email(id + "@example.com");
  body->set_name("Customer " + id);
  return command;
}

CrashRun run_until_power_cut(const std::string& dir, bool sync) {
  auto fs = std::make_shared<testing::CrashFileSystem>();
  auto env = testing::make_crash_env(fs);
  CrashRun run;
  std::mutex mutex;
  {
    eventstore::EmbeddedLog log({dir, 4, sync, env.get()});
    commands::Lookups lookups;
    lookups.now_us = [] { return std::int64_t{1'700'000'000'000'000}; };
    commands::LocalCommandBus bus(log, lookups, {});

    std::atomic<int> replies{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        for (int i = t; i < 4000; i += 4) {
          bus.submit(register_customer(i), [&](commands::CommandReply reply) {
            ++replies;
            // Counted only if the reply came before the power cut.
            std::lock_guard lock(mutex);
            if (!fs->crashed() && reply.kind == commands::CommandReply::Kind::done && reply.outcome.accepted()) {
              run.acknowledged.insert(reply.outcome.command_id());
              // Cut the power mid-stream, while later commands are still in flight.
              if (run.acknowledged.size() == 1500) fs->crash();
            }
          });
        }
      });
    }
    for (auto& client : clients) client.join();
    bus.drain_and_stop();
  }
  fs->drop_unsynced();

  eventstore::EmbeddedLog reopened({dir, 4, true, nullptr});
  for (const auto& command_id : run.acknowledged) {
    auto outcome = reopened.find_outcome(command_id);
    EXPECT_TRUE(outcome) << outcome.detail;
    if (!outcome || !*outcome.value) {
      ++run.lost;
      continue;
    }
    auto events = reopened.read_stream((*outcome.value)->stream_id());
    if (!events || events.value->size() != 1) ++run.duplicated;
  }
  return run;
}

TEST(CrashDurability, NoAcknowledgedCommandIsLostWhenUnsyncedWritesAreDropped) {
  testing::TempDir dir;
  auto run = run_until_power_cut(dir.path() + "/log", /*sync=*/true);
  ASSERT_GT(run.acknowledged.size(), 100u) << "the test must acknowledge commands before the cut";
  EXPECT_EQ(run.lost, 0u);
  EXPECT_EQ(run.duplicated, 0u);
}

TEST(CrashDurability, ControlWithoutSyncLosesAcknowledgedCommands) {
  testing::TempDir dir;
  auto run = run_until_power_cut(dir.path() + "/log", /*sync=*/false);
  ASSERT_GT(run.acknowledged.size(), 100u);
  EXPECT_GT(run.lost, 0u) << "the simulated power cut did not drop unsynced writes";
}

}  // namespace
}  // namespace orderline
