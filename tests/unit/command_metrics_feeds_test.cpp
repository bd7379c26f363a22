// The command metrics of the distributed roles, above Kafka: what one transaction of the
// processor reports (TransactionReport), the gateway's round trip (ObservedCommandBus) and the
// families that gateway feeds. The real broker's side is in kafka_metrics_test.
#include <gtest/gtest.h>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "commands/command_labels.h"
#include "commands/kafka/transaction_report.h"
#include "commands/observed_command_bus.h"
#include "observability/command_reply_metrics.h"
#include "observability/metrics.h"
#include "observability/metrics_text.h"

namespace orderline::commands {
namespace {

using namespace std::chrono_literals;
using Clock = TransactionReport::Clock;

struct RecordingObserver final : CommandObserver, eventstore::AppendObserver {
  struct Batch {
    std::uint32_t partition;
    std::size_t commands;
    std::uint64_t events;
    std::chrono::nanoseconds elapsed;
  };
  struct Reply {
    std::string type;
    std::string result;
    std::chrono::nanoseconds latency;
  };
  struct Append {
    std::uint32_t partition;
    std::size_t records;
    bool ok;
  };
  std::vector<Batch> batches;
  std::vector<Reply> replies;
  std::vector<Append> appends;

  void on_batch(std::uint32_t partition, std::size_t commands, std::uint64_t events,
                std::chrono::nanoseconds elapsed) override {
    batches.push_back({partition, commands, events, elapsed});
  }
  void on_reply(const v1::Command& command, const CommandReply& reply, std::chrono::nanoseconds latency) override {
    replies.push_back({command.has_create_product() ? "create_product" : "other",
                       reply.kind == CommandReply::Kind::timed_out ? "timed_out"
                       : reply.outcome.accepted()                 ? "accepted"
                                                                  : "rejected",
                       latency});
  }
  void on_append(std::uint32_t partition, std::size_t records, std::chrono::nanoseconds, bool ok) override {
    appends.push_back({partition, records, ok});
  }
};

v1::Command create_product(const std::string& sku) {
  v1::Command command;
  command.set_command_id("c-" + sku);
  command.set_stream_id("product-" + sku);
  command.mutable_create_product()->set_sku(sku);
  return command;
}

CommandReply done(bool accepted) {
  CommandReply reply;
  reply.outcome.set_accepted(accepted);
  if (!accepted) reply.outcome.set_error_code("already_exists");
  return reply;
}

TEST(TransactionReport, ACommitReportsTheBatchEachReplyAndTheAppend) {
  RecordingObserver observer;
  const auto consumed = Clock::time_point(10ms);
  TransactionReport report({&observer, &observer}, 2, consumed, consumed + 1ms);
  const int result = report.time_append([] { return 7; });
  EXPECT_EQ(result, 7);  // what the append returned, untouched
  CommandReply dropped;
  dropped.kind = CommandReply::Kind::timed_out;
  report.committed({create_product("A"), create_product("B"), create_product("C")}, {done(true), done(false), dropped},
                   /*events=*/2, consumed + 5ms);

  ASSERT_EQ(observer.batches.size(), 1u);
  EXPECT_EQ(observer.batches[0].partition, 2u);
  EXPECT_EQ(observer.batches[0].commands, 3u);
  EXPECT_EQ(observer.batches[0].events, 2u);
  EXPECT_EQ(observer.batches[0].elapsed, 4ms);  // from the start of its processing
  ASSERT_EQ(observer.replies.size(), 3u);
  EXPECT_EQ(observer.replies[0].result, "accepted");
  EXPECT_EQ(observer.replies[1].result, "rejected");
  EXPECT_EQ(observer.replies[2].result, "timed_out");
  for (const auto& reply : observer.replies) EXPECT_EQ(reply.latency, 5ms);  // from the first consumed
  ASSERT_EQ(observer.appends.size(), 1u);
  EXPECT_EQ(observer.appends[0].partition, 2u);
  EXPECT_EQ(observer.appends[0].records, 2u);
  EXPECT_TRUE(observer.appends[0].ok);
}

TEST(TransactionReport, AnAbortRepliesToNobodyAndCountsAFailedAppend) {
  RecordingObserver observer;
  const auto consumed = Clock::time_point(1s);
  TransactionReport report({&observer, &observer}, 0, consumed, consumed);
  (void)report.time_append([] { return false; });
  report.aborted(4, consumed + 3ms);
  ASSERT_EQ(observer.batches.size(), 1u);
  EXPECT_EQ(observer.batches[0].commands, 4u);
  EXPECT_EQ(observer.batches[0].events, 0u);
  EXPECT_TRUE(observer.replies.empty());
  ASSERT_EQ(observer.appends.size(), 1u);
  EXPECT_FALSE(observer.appends[0].ok);

  // Given up before any append (the store could not decide): no append to count.
  RecordingObserver before_append;
  TransactionReport early({&before_append, &before_append}, 0, consumed, consumed);
  early.aborted(4, consumed + 1ms);
  EXPECT_EQ(before_append.batches.size(), 1u);
  EXPECT_TRUE(before_append.appends.empty());
}

// A transaction shared by several partitions' batches: each reports its own batch and append,
// timed as the whole transaction.
TEST(TransactionReport, APartOfASharedTransactionGetsItsTime) {
  RecordingObserver observer;
  const auto round = Clock::time_point(2s);
  for (std::uint32_t partition : {1u, 3u}) {
    TransactionReport report({&observer, &observer}, partition, round, round);
    report.set_append_time(7ms);
    report.committed({create_product("P" + std::to_string(partition))}, {done(true)}, 1, round + 9ms);
  }
  ASSERT_EQ(observer.batches.size(), 2u);
  EXPECT_EQ(observer.batches[1].partition, 3u);
  EXPECT_EQ(observer.batches[1].elapsed, 9ms);
  ASSERT_EQ(observer.appends.size(), 2u);
  EXPECT_EQ(observer.appends[0].partition, 1u);
  EXPECT_EQ(observer.appends[1].records, 1u);
  EXPECT_EQ(observer.replies.size(), 2u);
}

TEST(TransactionReport, NoObserversIsFine) {
  TransactionReport report({}, 0, Clock::now());
  EXPECT_TRUE(report.time_append([] { return true; }));
  report.committed({create_product("A")}, {done(true)}, 1);
  report.aborted(1);
}

// Holds every command's reply handler until answer_all().
class ScriptedBus final : public CommandBus {
 public:
  void submit(v1::Command, ReplyHandler on_reply) override { held_.push_back(std::move(on_reply)); }
  std::uint32_t partition_count() const override { return 5; }
  void answer_all(const CommandReply& reply) {
    for (auto& handler : held_) handler(reply);
    held_.clear();
  }

 private:
  std::vector<ReplyHandler> held_;
};

struct RecordingRoundTrips final : RoundTripObserver {
  struct Seen {
    std::string type;
    CommandReply::Kind kind;
    std::chrono::nanoseconds latency;
  };
  std::vector<Seen> seen;
  void on_round_trip(std::string_view type, const CommandReply& reply, std::chrono::nanoseconds latency) override {
    seen.push_back({std::string(type), reply.kind, latency});
  }
};

TEST(ObservedCommandBus, ReportsEveryReplyWithItsTypeAndPassesItOn) {
  ScriptedBus inner;
  RecordingRoundTrips observer;
  ObservedCommandBus bus(inner, observer);
  EXPECT_EQ(bus.partition_count(), 5u);
  std::vector<CommandReply> answered;
  bus.submit(create_product("A"), [&](CommandReply reply) { answered.push_back(std::move(reply)); });
  v1::Command other;
  other.mutable_restock()->set_quantity(1);
  bus.submit(other, [&](CommandReply reply) { answered.push_back(std::move(reply)); });
  EXPECT_TRUE(observer.seen.empty());  // not before the reply
  CommandReply late;
  late.kind = CommandReply::Kind::timed_out;
  inner.answer_all(late);
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[0].type, "create_product");
  EXPECT_EQ(observer.seen[1].type, "restock");
  EXPECT_EQ(observer.seen[1].kind, CommandReply::Kind::timed_out);
  EXPECT_GT(observer.seen[1].latency, std::chrono::nanoseconds::zero());
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_EQ(answered[0].kind, CommandReply::Kind::timed_out);

  // Refused without being sent: counted, not timed (as the embedded bus reports it).
  bus.submit(create_product("B"), [&](CommandReply reply) { answered.push_back(std::move(reply)); });
  CommandReply overloaded;
  overloaded.kind = CommandReply::Kind::overloaded;
  inner.answer_all(overloaded);
  ASSERT_EQ(observer.seen.size(), 3u);
  EXPECT_EQ(observer.seen[2].kind, CommandReply::Kind::overloaded);
  EXPECT_EQ(observer.seen[2].latency, std::chrono::nanoseconds::zero());
  EXPECT_EQ(answered.size(), 3u);
}

// The type label of every command body is its field's name, and "none" without a body.
TEST(CommandType, EveryBodyByItsFieldName) {
  const auto* body = v1::Command::descriptor()->FindOneofByName("body");
  ASSERT_GT(body->field_count(), 10);
  for (int i = 0; i < body->field_count(); ++i) {
    v1::Command command;
    command.GetReflection()->MutableMessage(&command, body->field(i));
    EXPECT_EQ(command_type(command), body->field(i)->name());
  }
  EXPECT_EQ(command_type(v1::Command{}), "none");
}

TEST(GatewayCommandMetrics, CountAndTimeUnderTheirOwnNames) {
  observability::Metrics metrics;
  auto* gateway = metrics.gateway_commands();
  gateway->on_round_trip("place_order", done(true), 3ms);
  gateway->on_round_trip("place_order", done(false), 4ms);
  CommandReply late;
  late.kind = CommandReply::Kind::timed_out;
  gateway->on_round_trip("place_order", late, 5s);
  const auto samples = observability::parse_metrics_text(metrics.render());
  using observability::sum_of;
  EXPECT_EQ(sum_of(samples, "orderline_gateway_commands_total", {{"type", "place_order"}, {"result", "accepted"}}), 1);
  EXPECT_EQ(sum_of(samples, "orderline_gateway_commands_total",
                   {{"type", "place_order"}, {"result", "rejected"}, {"code", "already_exists"}}),
            1);
  EXPECT_EQ(sum_of(samples, "orderline_gateway_commands_total", {{"result", "timed_out"}}), 1);
  EXPECT_EQ(sum_of(samples, "orderline_gateway_command_duration_seconds_count", {{"type", "place_order"}}), 3);
  // The deciding bus's families are untouched: a dashboard summing every instance counts each
  // command once.
  EXPECT_EQ(sum_of(samples, "orderline_commands_total", {}), 0);
  EXPECT_EQ(sum_of(samples, "orderline_command_duration_seconds_count", {}), 0);
}

}  // namespace
}  // namespace orderline::commands
