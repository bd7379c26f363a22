// A crash around the snapshot writes loses nothing: a process killed with SIGKILL while it
// writes a long product stream with a snapshot every few events, and a power cut (unsynced
// writes dropped) in the same place. Snapshots go in the WriteBatch of the events they fold
// in, so after either crash the snapshot never runs ahead of the events and never holds
// what was not committed: the loaded state equals a full replay, every acknowledged
// reservation is in it exactly once, and the stream goes on from there.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <set>

#include "commands/aggregate_loader.h"
#include "commands/local_command_bus.h"
#include "domain/snapshot_codec.h"
#include "tests/support/crash_file_system.h"
#include "tests/support/engine_fixture.h"

namespace orderline {
namespace {

constexpr std::uint32_t kPartitions = 2;
const std::string kSku = "HOT-1";
const std::string kStream = domain::product_stream(kSku);

commands::LocalBusOptions bus_options() {
  commands::LocalBusOptions options;
  options.processor.snapshot_every = 7;  // many snapshot points, inside and at the end of batches
  return options;
}

// Keeps `window` reservations in flight from `first` on, calling on_ack(order index) for each
// accepted one, until `count` were sent.
void reserve_many(commands::CommandBus& bus, int first, int count, const std::function<void(int)>& on_ack) {
  constexpr int kWindow = 64;
  std::mutex mutex;
  std::condition_variable done;
  int in_flight = 0;
  for (int i = first; i < first + count; ++i) {
    {
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    bus.submit(testing::reserve_stock(kSku, "o" + std::to_string(i)), [&, i](commands::CommandReply reply) {
      if (reply.kind == commands::CommandReply::Kind::done && reply.outcome.accepted()) on_ack(i);
      std::lock_guard lock(mutex);
      --in_flight;
      done.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return in_flight == 0; });
}

void create_the_product(commands::CommandBus& bus) {
  std::promise<commands::CommandReply> reply;
  bus.submit(testing::create_product(kSku, 100, 10'000'000), [&](commands::CommandReply r) { reply.set_value(r); });
  auto answer = reply.get_future().get();
  ASSERT_TRUE(answer.outcome.accepted() || answer.outcome.error_code() == "already_exists") << answer.outcome.error_detail();
}

// After a crash: the snapshot path and a full replay agree, every acknowledged reservation
// is held exactly once, and nothing is in the state that the stream does not hold.
void expect_consistent(const std::string& dir, const std::set<int>& acknowledged) {
  eventstore::EmbeddedLog log({dir, kPartitions});
  auto loaded = commands::load_aggregate(log, kStream);
  auto replayed = commands::replay_aggregate(log, kStream);
  ASSERT_TRUE(loaded) << loaded.detail;
  ASSERT_TRUE(replayed) << replayed.detail;
  EXPECT_TRUE(loaded.value->from_snapshot) << "the crash left no usable snapshot: the test proved nothing";
  EXPECT_EQ(*domain::encode_snapshot(loaded.value->state), *domain::encode_snapshot(replayed.value->state));
  const auto& product = std::get<domain::ProductState>(loaded.value->state);
  std::set<std::string> held;
  for (const auto& r : product.reservations) EXPECT_TRUE(held.insert(r.order_id).second) << "twice: " << r.order_id;
  EXPECT_EQ(product.version, product.reservations.size() + 1);  // the creation, then one event per hold
  for (int i : acknowledged) EXPECT_TRUE(held.contains("o" + std::to_string(i))) << "acknowledged and lost: o" << i;
}

// The writer of the kill -9 test, in a process of its own: this binary run again with only
// this test and ORDERLINE_SNAPSHOT_WRITER="<log dir> <ack fd> <first index>". Started with
// exec after fork, so it shares no RocksDB threads or locks with the test process.
TEST(SnapshotCrash, DISABLED_Writer) {
  const char* spec = std::getenv("ORDERLINE_SNAPSHOT_WRITER");
  if (spec == nullptr) GTEST_SKIP() << "runs only as the child of the kill -9 test";
  char path[4096];
  int ack_fd = -1;
  int first = 0;
  ASSERT_EQ(std::sscanf(spec, "%4095s %d %d", path, &ack_fd, &first), 3);
  eventstore::EmbeddedLog log({path, kPartitions});
  commands::LocalCommandBus bus(log, testing::fixed_lookups(), bus_options());
  create_the_product(bus);
  // Each accepted reservation's index goes to the parent once the bus has acknowledged it.
  reserve_many(bus, first, 1'000'000, [&](int i) {
    if (write(ack_fd, &i, sizeof i) != sizeof i) _exit(3);
  });
}

TEST(SnapshotCrash, KillNineWhileWritingEventsAndSnapshotsLosesNothing) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/log";
  std::set<int> acknowledged;
  for (int round = 0; round < 3; ++round) {
    int acks[2];
    ASSERT_EQ(pipe(acks), 0);
    // Everything the child needs is made before fork: between fork and exec it only calls exec.
    const std::string spec = "ORDERLINE_SNAPSHOT_WRITER=" + path + " " + std::to_string(acks[1]) + " " +
                             std::to_string(round * 1'000'000);
    std::string self = "/proc/self/exe", filter = "--gtest_filter=SnapshotCrash.DISABLED_Writer",
                also = "--gtest_also_run_disabled_tests";
    char* argv[] = {self.data(), filter.data(), also.data(), nullptr};
    std::string spec_copy = spec;
    char* envp[] = {spec_copy.data(), nullptr};
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(acks[0]);
      execve(argv[0], argv, envp);
      _exit(127);
    }
    close(acks[1]);
    FILE* in = fdopen(acks[0], "r");
    int index = 0;
    std::size_t this_round = 0;
    const std::size_t kill_after = 1500 + 700 * static_cast<std::size_t>(round);
    while (this_round < kill_after && fread(&index, sizeof index, 1, in) == 1) {
      acknowledged.insert(index);
      ++this_round;
    }
    ASSERT_EQ(this_round, kill_after) << "the writer stopped before the kill";
    kill(child, SIGKILL);  // mid-flight: batches are being decided and written right now
    while (fread(&index, sizeof index, 1, in) == 1) acknowledged.insert(index);  // acks before death
    fclose(in);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    expect_consistent(path, acknowledged);
  }
}

TEST(SnapshotCrash, APowerCutWhileWritingEventsAndSnapshotsLosesNothing) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/log";
  auto fs = std::make_shared<testing::CrashFileSystem>();
  auto env = testing::make_crash_env(fs);
  std::set<int> acknowledged;
  {
    eventstore::EmbeddedLog log({path, kPartitions, true, env.get()});
    commands::LocalCommandBus bus(log, testing::fixed_lookups(), bus_options());
    create_the_product(bus);
    std::mutex mutex;
    reserve_many(bus, 0, 4000, [&](int i) {
      std::lock_guard lock(mutex);
      if (fs->crashed()) return;  // acknowledged after the power went: not a promise we made
      acknowledged.insert(i);
      if (acknowledged.size() == 2500) fs->crash();
    });
    bus.drain_and_stop();
  }
  fs->drop_unsynced();
  ASSERT_EQ(acknowledged.size(), 2500u);
  expect_consistent(path, acknowledged);
}

}  // namespace
}  // namespace orderline
