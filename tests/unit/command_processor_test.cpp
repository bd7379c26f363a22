// The command processor on a real embedded log: idempotency, expected versions, batches,
// and the envelope it writes.
#include <gtest/gtest.h>

#include "tests/support/engine_fixture.h"

namespace orderline::commands {
namespace {

using testing::order_action;
using testing::place_order;

class CommandProcessorTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kPartitions = 4;

  void SetUp() override { open(); }

  void open() {
    processors_.clear();
    log_.reset();
    log_ = std::make_unique<eventstore::EmbeddedLog>(eventstore::EmbeddedLogOptions{dir_.path(), kPartitions});
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<PartitionProcessor>(p, *log_, testing::fixed_lookups(), ProcessorOptions{}));
    }
  }

  std::vector<CommandReply> run(const std::vector<v1::Command>& batch) {
    const auto p = eventstore::partition_for(batch.front().stream_id(), kPartitions);
    return processors_[p]->process(batch);
  }
  CommandReply run(const v1::Command& command) { return run(std::vector{command}).front(); }

  std::size_t events_of(const std::string& order_id) {
    return log_->read_stream(domain::order_stream(order_id)).value->size();
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::vector<std::unique_ptr<PartitionProcessor>> processors_;
};

TEST_F(CommandProcessorTest, PlacesAnOrderAndWritesAFullEnvelope) {
  auto reply = run(place_order("o1"));
  ASSERT_EQ(reply.kind, CommandReply::Kind::done);
  ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  EXPECT_EQ(reply.outcome.version(), 1u);
  EXPECT_EQ(reply.outcome.status(), "placed");
  const auto partition = eventstore::partition_for("order-o1", kPartitions);
  EXPECT_EQ(reply.outcome.partition(), partition);
  EXPECT_EQ(reply.outcome.offset(), 1u);  // exclusive: the end after the write

  auto records = log_->read_stream("order-o1");
  ASSERT_EQ(records.value->size(), 1u);
  v1::EventEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(records.value->front().value));
  EXPECT_EQ(envelope.type(), "OrderPlaced");
  EXPECT_EQ(envelope.stream_version(), 1u);
  EXPECT_EQ(envelope.command_id(), "place-o1");
  EXPECT_EQ(envelope.causation_id(), "place-o1");
  EXPECT_EQ(envelope.actor(), "test");
  EXPECT_EQ(envelope.schema_version(), 1u);
  EXPECT_EQ(envelope.event_id().size(), 36u);
  v1::EventPayload payload;
  ASSERT_TRUE(payload.ParseFromString(envelope.payload()));
  EXPECT_EQ(payload.order_placed().total().amount_minor(), 2000);  // 2 x 1000 from the catalogue
}

TEST_F(CommandProcessorTest, RetryReturnsTheFirstOutcomeEvenAfterReopen) {
  auto first = run(place_order("o1"));
  auto again = run(place_order("o1"));
  EXPECT_EQ(again.outcome.SerializeAsString(), first.outcome.SerializeAsString());
  open();
  auto after_restart = run(place_order("o1"));
  EXPECT_EQ(after_restart.outcome.SerializeAsString(), first.outcome.SerializeAsString());
  EXPECT_EQ(events_of("o1"), 1u);
}

TEST_F(CommandProcessorTest, ReusedIdWithAnotherBodyIsRefusedAndWritesNothing) {
  run(place_order("o1"));
  auto other = place_order("o1");
  other.set_request_hash("another body");
  auto reply = run(other);
  EXPECT_FALSE(reply.outcome.accepted());
  EXPECT_EQ(reply.outcome.error_code(), "idempotency_key_reused");
  EXPECT_EQ(events_of("o1"), 1u);
}

TEST_F(CommandProcessorTest, StaleExpectedVersionIsAConflict) {
  run(place_order("o1"));
  auto reply = run(order_action("o1", "pay", 0));
  EXPECT_FALSE(reply.outcome.accepted());
  EXPECT_EQ(reply.outcome.error_code(), "version_conflict");
  EXPECT_EQ(events_of("o1"), 1u);
  auto ok = run(order_action("o1", "pay", 1));
  EXPECT_TRUE(ok.outcome.accepted()) << ok.outcome.error_detail();
  EXPECT_EQ(ok.outcome.version(), 2u);
  EXPECT_EQ(ok.outcome.status(), "confirmed");
}

TEST_F(CommandProcessorTest, OneBatchSeesItsOwnEarlierCommands) {
  auto replies = run(std::vector{place_order("o1"), order_action("o1", "pay", 1), place_order("o1"),
                                 order_action("o1", "ship", 2)});
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].outcome.version(), 1u);
  EXPECT_EQ(replies[1].outcome.version(), 2u);
  EXPECT_EQ(replies[2].outcome.SerializeAsString(), replies[0].outcome.SerializeAsString());
  EXPECT_TRUE(replies[3].outcome.accepted()) << replies[3].outcome.error_detail();
  EXPECT_EQ(replies[3].outcome.version(), 3u);
  EXPECT_EQ(events_of("o1"), 3u);
}

TEST_F(CommandProcessorTest, RejectionsAreRecordedAndWriteNoEvents) {
  run(place_order("o1"));
  auto reply = run(order_action("o1", "ship"));
  EXPECT_FALSE(reply.outcome.accepted());
  EXPECT_EQ(reply.outcome.error_code(), "invalid_transition");
  EXPECT_EQ(events_of("o1"), 1u);
  auto stored = log_->find_outcome(reply.outcome.command_id());
  ASSERT_TRUE(stored && *stored.value);
  EXPECT_EQ((*stored.value)->error_code(), "invalid_transition");

  auto unknown = run(place_order("o2", "cust-1", {{"NOPE", 1}}));
  EXPECT_EQ(unknown.outcome.error_code(), "unknown_sku");
  EXPECT_EQ(events_of("o2"), 0u);
}

TEST_F(CommandProcessorTest, PastDeadlineIsDroppedSoARetryStaysSafe) {
  auto late = place_order("o1");
  late.set_deadline_us(1);  // long before the fixture's clock
  EXPECT_EQ(run(late).kind, CommandReply::Kind::timed_out);
  EXPECT_EQ(events_of("o1"), 0u);
  EXPECT_FALSE(*log_->find_outcome("place-o1").value);
}

TEST_F(CommandProcessorTest, AFailedAppendAcknowledgesNothing) {
  log_->close();
  auto reply = run(place_order("o1"));
  EXPECT_EQ(reply.kind, CommandReply::Kind::failed);
}

}  // namespace
}  // namespace orderline::commands
