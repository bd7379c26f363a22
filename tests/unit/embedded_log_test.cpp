// The embedded log on a real RocksDB in a temporary directory.
#include <gtest/gtest.h>

#include <thread>

#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/log_reader.h"
#include "tests/support/process.h"

namespace orderline::eventstore {
namespace {

AppendBatch batch_of(const std::string& stream, std::uint64_t first_version, int count) {
  AppendBatch batch;
  for (int i = 0; i < count; ++i) {
    v1::EventEnvelope envelope;
    envelope.set_stream_id(stream);
    envelope.set_stream_version(first_version + static_cast<std::uint64_t>(i));
    envelope.set_type("Test");
    batch.records.push_back({stream, envelope.SerializeAsString(), envelope.stream_version()});
  }
  return batch;
}

TEST(EmbeddedLog, AppendsReadsAndSurvivesReopen) {
  testing::TempDir dir;
  {
    EmbeddedLog log({dir.path(), 4});
    auto first = log.append(1, batch_of("s-a", 1, 3));
    ASSERT_TRUE(first) << first.detail;
    EXPECT_EQ(first.value->first_offset, 0u);
    EXPECT_EQ(first.value->end_offset, 3u);
    auto second = log.append(1, batch_of("s-b", 1, 2));
    ASSERT_TRUE(second);
    EXPECT_EQ(second.value->first_offset, 3u);
    EXPECT_EQ(log.end_offset(1), 5u);
    EXPECT_EQ(log.end_offset(0), 0u);
  }
  EmbeddedLog log({dir.path(), 4});
  EXPECT_EQ(log.end_offset(1), 5u);
  auto records = log.read(1, 2, 10);
  ASSERT_TRUE(records);
  ASSERT_EQ(records.value->size(), 3u);
  EXPECT_EQ((*records.value)[0].offset, 2u);
  EXPECT_EQ((*records.value)[0].key, "s-a");
  EXPECT_EQ((*records.value)[1].key, "s-b");
  auto limited = log.read(1, 0, 2);
  EXPECT_EQ(limited.value->size(), 2u);
  EXPECT_TRUE(log.read(1, 5, 10).value->empty());
  EXPECT_FALSE(log.read(9, 0, 10));
}

TEST(EmbeddedLog, RefusesAnotherPartitionCount) {
  testing::TempDir dir;
  { EmbeddedLog log({dir.path(), 4}); }
  EXPECT_THROW(EmbeddedLog({dir.path(), 8}), std::runtime_error);
}

TEST(EmbeddedLog, StreamIndexReturnsOneStreamInVersionOrder) {
  testing::TempDir dir;
  EmbeddedLog log({dir.path(), 2});
  ASSERT_TRUE(log.append(0, batch_of("order-1", 1, 2)));
  ASSERT_TRUE(log.append(0, batch_of("order-10", 1, 1)));  // a longer id sharing the prefix
  ASSERT_TRUE(log.append(0, batch_of("order-1", 3, 1)));
  auto stream = log.read_stream("order-1");
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream.value->size(), 3u);
  std::vector<std::uint64_t> offsets;
  for (const auto& r : *stream.value) offsets.push_back(r.offset);
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{0, 1, 3}));
  EXPECT_TRUE(log.read_stream("order-2").value->empty());
}

TEST(EmbeddedLog, OutcomesAreStoredWithTheBatch) {
  testing::TempDir dir;
  EmbeddedLog log({dir.path(), 2});
  auto batch = batch_of("s", 1, 1);
  v1::CommandOutcome outcome;
  outcome.set_command_id("cmd-1");
  outcome.set_version(1);
  batch.outcomes.push_back(outcome);
  ASSERT_TRUE(log.append(0, batch));
  auto found = log.find_outcome("cmd-1");
  ASSERT_TRUE(found && *found.value);
  EXPECT_EQ((*found.value)->version(), 1u);
  EXPECT_FALSE(*log.find_outcome("cmd-2").value);
}

TEST(EmbeddedLog, OffsetForTimeFindsFirstRecordAtOrAfter) {
  testing::TempDir dir;
  EmbeddedLog log({dir.path(), 1});
  ASSERT_TRUE(log.append(0, batch_of("s", 1, 2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto middle = log.read(0, 0, 1).value->front().log_time_us + 2000;
  ASSERT_TRUE(log.append(0, batch_of("s", 3, 2)));
  const auto later_time = log.read(0, 2, 1).value->front().log_time_us;
  EXPECT_EQ(*log.offset_for_time(0, 0).value, 0u);
  EXPECT_EQ(*log.offset_for_time(0, middle).value, 2u);
  EXPECT_EQ(*log.offset_for_time(0, later_time).value, 2u);
  EXPECT_EQ(*log.offset_for_time(0, later_time + 1).value, 4u);
}

TEST(EmbeddedLog, WaitersWakeOnAppend) {
  testing::TempDir dir;
  EmbeddedLog log({dir.path(), 2});
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log.append(1, batch_of("s", 1, 1));
  });
  auto ends = log.wait_any({0, 0}, std::chrono::seconds(10));
  EXPECT_EQ(ends, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(log.wait_beyond(1, 0, std::chrono::seconds(10)), 1u);
  writer.join();
}

TEST(EmbeddedLogReader, SeesThePrimaryAsSecondary) {
  testing::TempDir dir, scratch;
  EmbeddedLog log({dir.path(), 2});
  ASSERT_TRUE(log.append(1, batch_of("s", 1, 2)));
  EmbeddedLogReader reader(dir.path(), scratch.path());
  EXPECT_EQ(reader.partition_count(), 2u);
  int seen = 0;
  EXPECT_EQ(reader.scan(1, 0, [&](const LogRecord&) { ++seen; }), 2u);
  EXPECT_EQ(seen, 2);
  ASSERT_TRUE(log.append(1, batch_of("s", 3, 1)));
  reader.catch_up();
  EXPECT_EQ(reader.scan(1, 2, [&](const LogRecord&) { ++seen; }), 3u);
  EXPECT_EQ(seen, 3);
}

}  // namespace
}  // namespace orderline::eventstore
