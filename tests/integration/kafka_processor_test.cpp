// The command processor over the Kafka event log (real broker): each command's events land
// once, retries answer the first outcome even from a restored index, and the positions in
// replies and stored outcomes are the broker's real ones -- also when the processor's
// prediction (end_offset + records so far) is wrong because another transaction holds the
// partition's last stable offset back.
#include <gtest/gtest.h>

#include <set>

#include "eventstore/kafka/kafka_event_log.h"
#include "tests/support/engine_fixture.h"
#include "tests/support/kafka.h"

namespace orderline::commands {
namespace {

using testing::place_order;

class KafkaProcessorTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kPartitions = 2;

  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    prefix_ = testing::unique_topic_prefix(::testing::UnitTest::GetInstance()->current_test_info()->name());
    open(dir_.path() + "/index");
  }

  void open(const std::string& state_dir) {
    processors_.clear();
    log_.reset();
    eventstore::KafkaLogOptions options;
    options.brokers = testing::kafka_brokers();
    options.topic_prefix = prefix_;
    options.partitions = kPartitions;
    options.state_dir = state_dir;
    log_ = std::make_unique<eventstore::KafkaEventLog>(options);
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<PartitionProcessor>(p, *log_, testing::fixed_lookups(), ProcessorOptions{}));
    }
  }

  std::vector<CommandReply> run(const std::vector<v1::Command>& batch) {
    return processors_[partition_of(batch.front())]->process(batch);
  }
  CommandReply run(const v1::Command& command) { return run(std::vector{command}).front(); }
  static std::uint32_t partition_of(const v1::Command& command) {
    return eventstore::partition_for(command.stream_id(), kPartitions);
  }

  // The real position after a stream's last event: one past its offset in the log.
  std::uint64_t real_position(const std::string& stream_id) {
    auto events = log_->read_stream(stream_id);
    EXPECT_TRUE(events) << events.detail;
    EXPECT_FALSE(events.value->empty());
    return events.value->back().offset + 1;
  }

  std::string prefix_;
  testing::TempDir dir_;
  std::unique_ptr<eventstore::KafkaEventLog> log_;
  std::vector<std::unique_ptr<PartitionProcessor>> processors_;
};

TEST_F(KafkaProcessorTest, EventsLandOnceAndRetriesAnswerTheFirstOutcome) {
  std::map<std::string, CommandReply> first;
  // One command per append, then several commands in one append (one transaction).
  for (int i = 0; i < 4; ++i) {
    auto reply = run(place_order("o" + std::to_string(i)));
    ASSERT_EQ(reply.kind, CommandReply::Kind::done) << reply.outcome.error_detail();
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
    first.emplace(reply.outcome.command_id(), reply);
  }
  std::vector<v1::Command> together;
  for (int i = 4; i < 20; ++i) {
    auto command = place_order("o" + std::to_string(i));
    if (partition_of(command) == 0) together.push_back(command);
  }
  together.push_back(together.front());  // a retry inside the same batch
  auto replies = run(together);
  for (auto& reply : replies) {
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
    first.emplace(reply.outcome.command_id(), reply);
  }
  EXPECT_EQ(replies.back().outcome.SerializeAsString(), replies.front().outcome.SerializeAsString());

  // Every reply's position is the real one, and the stored outcome says the same.
  for (const auto& [command_id, reply] : first) {
    EXPECT_EQ(reply.outcome.offset(), real_position(reply.outcome.stream_id())) << command_id;
    auto stored = log_->find_outcome(command_id);
    ASSERT_TRUE(stored && stored.value->has_value()) << command_id;
    EXPECT_EQ((*stored.value)->SerializeAsString(), reply.outcome.SerializeAsString()) << command_id;
  }

  // Retries after a restore from the topics (fresh index) answer the first outcome and
  // write nothing.
  testing::TempDir fresh;
  open(fresh.path() + "/index");
  for (const auto& [command_id, reply] : first) {
    const std::string order_id = reply.outcome.stream_id().substr(std::string("order-").size());
    auto again = run(place_order(order_id));
    EXPECT_EQ(again.outcome.SerializeAsString(), reply.outcome.SerializeAsString()) << command_id;
  }
  // Each order stream holds exactly its one event, and the partitions hold nothing else.
  std::size_t in_log = 0;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    std::uint64_t next = 0;
    const std::uint64_t end = log_->wait_beyond(p, 0, std::chrono::seconds(10));
    std::multiset<std::string> streams;
    while (next < end) {
      auto records = log_->read(p, next, 100);
      ASSERT_TRUE(records) << records.detail;
      if (records.value->empty()) break;  // only markers remain
      for (const auto& record : *records.value) streams.insert(record.key);
      in_log += records.value->size();
      next = records.value->back().offset + 1;
    }
    for (const auto& stream : streams) EXPECT_EQ(streams.count(stream), 1u) << stream;
  }
  EXPECT_EQ(in_log, first.size());
  for (const auto& [command_id, reply] : first) {
    EXPECT_EQ(log_->read_stream(reply.outcome.stream_id()).value->size(), 1u) << command_id;
  }
}

TEST_F(KafkaProcessorTest, PositionsAreRealWhenThePredictionIsBehind) {
  // Settle the partition with one order of ours.
  auto command = place_order("before");
  const auto partition = partition_of(command);
  ASSERT_TRUE(run(command).outcome.accepted());

  // Another producer's transaction stays open on the partition: the last stable offset (what
  // end_offset() reports, and what the processor predicts from) stops at its first record,
  // while our records are written after its two.
  testing::ForeignProducer foreign(prefix_ + ".other-writer");
  foreign.begin();
  foreign.produce(log_->events_topic(), static_cast<std::int32_t>(partition), "other", "x");
  foreign.produce(log_->events_topic(), static_cast<std::int32_t>(partition), "other", "y");
  const std::uint64_t predicted_from = log_->end_offset(partition);

  std::vector<v1::Command> batch;
  for (int i = 0; i < 40 && batch.size() < 3; ++i) {
    auto candidate = place_order("held-" + std::to_string(i));
    if (partition_of(candidate) == partition) batch.push_back(candidate);
  }
  auto replies = run(batch);
  foreign.abort();

  for (const auto& reply : replies) {
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
    const std::uint64_t real = real_position(reply.outcome.stream_id());
    EXPECT_GT(real, predicted_from + 2) << "the foreign records come first";
    EXPECT_EQ(reply.outcome.offset(), real) << reply.outcome.command_id();
    auto stored = log_->find_outcome(reply.outcome.command_id());
    ASSERT_TRUE(stored && stored.value->has_value());
    EXPECT_EQ((*stored.value)->offset(), real) << "the outcome topic holds the real position";
  }
}

}  // namespace
}  // namespace orderline::commands
