// The two pieces the Kafka event log's write path is built on, without a broker: the tail of
// committed records a sole writer serves its readers from, and the group commit that puts
// concurrent appends into one transaction. (Against the real broker: kafka_event_log_test.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "eventstore/kafka/committed_tail.h"
#include "eventstore/kafka/group_commit.h"

namespace orderline::eventstore {
namespace {

using namespace std::chrono_literals;

std::vector<LogRecord> records(std::uint32_t partition, std::initializer_list<std::uint64_t> offsets) {
  std::vector<LogRecord> out;
  for (auto offset : offsets) {
    out.push_back(LogRecord{partition, offset, 1000, "stream-" + std::to_string(offset), std::string(100, 'x')});
  }
  return out;
}

std::vector<std::uint64_t> offsets_of(const std::vector<LogRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r.offset);
  return out;
}

TEST(CommittedTail, ServesCommitsFromTheResetEndAndStepsOverMarkers) {
  CommittedTail tail(2, 1 << 20);
  tail.reset(0, 10);
  tail.reset(1, 0);
  EXPECT_EQ(tail.end(0), 10u);
  EXPECT_TRUE(tail.read(0, 10, 100)->empty());  // decided and empty
  EXPECT_FALSE(tail.read(0, 9, 100));           // before the tail: ask the broker

  tail.add(0, records(0, {10, 11, 12}), 14);  // marker at 13
  tail.add(0, records(0, {14}), 16);          // marker at 15
  EXPECT_EQ(tail.end(0), 16u);
  EXPECT_EQ(offsets_of(*tail.read(0, 10, 100)), (std::vector<std::uint64_t>{10, 11, 12, 14}));
  EXPECT_EQ(offsets_of(*tail.read(0, 12, 2)), (std::vector<std::uint64_t>{12, 14}));
  EXPECT_EQ(offsets_of(*tail.read(0, 13, 100)), (std::vector<std::uint64_t>{14}));  // from a marker
  EXPECT_TRUE(tail.read(0, 15, 100)->empty());
  EXPECT_EQ(tail.end(1), 0u);  // the other partition did not move
}

TEST(CommittedTail, AnAbortedTransactionLeavesAGapThatHoldsNothing) {
  CommittedTail tail(1, 1 << 20);
  tail.reset(0, 0);
  tail.add(0, records(0, {0}), 2);
  // Offsets 2..4 were an aborted transaction and its abort marker: never added.
  tail.add(0, records(0, {5, 6}), 8);
  EXPECT_EQ(offsets_of(*tail.read(0, 1, 100)), (std::vector<std::uint64_t>{5, 6}));
}

TEST(CommittedTail, DropsTheOldestRecordsPastItsBudgetAndMovesItsStart) {
  CommittedTail tail(1, 4 * (100 + 9 + sizeof(LogRecord)));  // about four records
  tail.reset(0, 0);
  for (std::uint64_t o = 0; o < 20; o += 2) tail.add(0, records(0, {o}), o + 2);
  ASSERT_TRUE(tail.read(0, 18, 10));
  EXPECT_FALSE(tail.read(0, 0, 10));  // dropped: a reader that far behind reads the broker
  const auto held = *tail.read(0, 14, 10);
  EXPECT_EQ(offsets_of(held), (std::vector<std::uint64_t>{14, 16, 18}));
  EXPECT_LE(tail.held_bytes(), 4 * (100 + 9 + sizeof(LogRecord)));
}

TEST(CommittedTail, AnInvalidPartitionAnswersNothingUntilReset) {
  CommittedTail tail(2, 1 << 20);
  tail.reset(0, 0);
  tail.reset(1, 0);
  tail.add(0, records(0, {0}), 2);
  tail.invalidate(0);
  EXPECT_FALSE(tail.end(0));
  EXPECT_FALSE(tail.read(0, 0, 10));
  EXPECT_FALSE(tail.wait_any({2, 0}, 1ms));
  tail.add(0, records(0, {2}), 4);  // ignored while invalid
  EXPECT_FALSE(tail.end(0));
  tail.reset(0, 7);
  EXPECT_EQ(tail.end(0), 7u);
  EXPECT_TRUE(tail.read(0, 7, 10)->empty());
}

TEST(CommittedTail, WaitersWakeOnACommit) {
  CommittedTail tail(2, 1 << 20);
  tail.reset(0, 0);
  tail.reset(1, 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    tail.add(1, records(1, {0}), 2);
  });
  const auto ends = tail.wait_any({0, 0}, 10s);
  ASSERT_TRUE(ends);
  EXPECT_EQ(*ends, (std::vector<std::uint64_t>{0, 2}));
  EXPECT_EQ(tail.wait_beyond(1, 1, 10s), 2u);
  EXPECT_EQ(tail.wait_beyond(0, 0, 1ms), 0u);  // timed out: the end as it stands
  writer.join();
}

struct Job {
  int id = 0;
  int batch = -1;  // which batch ran it
};

TEST(GroupCommit, ConcurrentJobsShareBatchesAndEachRunsOnce) {
  GroupCommit<Job> group(64);
  constexpr int kThreads = 8, kPerThread = 200;
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> batch_number{0};
  std::vector<std::vector<Job>> jobs(kThreads, std::vector<Job>(kPerThread));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto& job = jobs[t][i];
        job.id = t * kPerThread + i;
        group.submit(job, [&](std::vector<Job*>& batch) {
          if (running.fetch_add(1) != 0) overlapped = true;
          const int number = batch_number.fetch_add(1);
          for (auto* j : batch) {
            EXPECT_EQ(j->batch, -1) << "job " << j->id << " ran twice";
            j->batch = number;
          }
          std::this_thread::sleep_for(100us);  // a transaction's round trips
          running.fetch_sub(1);
        });
        EXPECT_GE(job.batch, 0) << "submit returned before job " << job.id << " ran";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlapped) << "two batches ran at once";
  EXPECT_EQ(group.batches(), static_cast<std::size_t>(batch_number.load()));
  // Shared batches: fewer batches than jobs (with 8 callers, most batches carry several).
  EXPECT_LT(group.batches(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(GroupCommit, ABatchNeverExceedsItsLimit) {
  GroupCommit<Job> group(3);
  std::atomic<std::size_t> largest{0};
  std::vector<std::thread> threads;
  std::vector<Job> jobs(12);
  for (auto& job : jobs) {
    threads.emplace_back([&] {
      group.submit(job, [&](std::vector<Job*>& batch) {
        largest = std::max<std::size_t>(largest, batch.size());
        for (auto* j : batch) j->batch = 0;
        std::this_thread::sleep_for(1ms);
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(largest.load(), 3u);
  for (const auto& job : jobs) EXPECT_EQ(job.batch, 0);
}

TEST(GroupCommit, AThrowingBatchHandsTheTurnOn) {
  GroupCommit<Job> group(8);
  Job first, second;
  EXPECT_THROW(group.submit(first, [](std::vector<Job*>&) { throw std::runtime_error("broker gone"); }),
               std::runtime_error);
  group.submit(second, [](std::vector<Job*>& batch) {
    for (auto* j : batch) j->batch = 1;
  });
  EXPECT_EQ(second.batch, 1);
}

}  // namespace
}  // namespace orderline::eventstore
