// The WebSocket fan-out below the network: the hub fed by a real projector over a real
// embedded log, replays rebuilt from the log (identical to what went out live), resume bounds,
// and the parsing of client frames.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "commands/command_processor.h"
#include "eventstore/partitioning.h"
#include "gateway/stream_hub.h"
#include "gateway/stream_protocol.h"
#include "gateway/stream_replay.h"
#include "projections/projector.h"
#include "projections/read_model_store.h"
#include "projections/standard_projections.h"
#include "tests/support/engine_fixture.h"

namespace orderline::gateway {
namespace {

namespace json = boost::json;
constexpr std::uint32_t kPartitions = 4;

struct Collecting : StreamSubscriber {
  std::mutex mutex;  // deliver() runs on the projector's thread when it is started
  std::vector<MessagePtr> got;
  void deliver(std::vector<MessagePtr> messages) override {
    std::lock_guard lock(mutex);
    got.insert(got.end(), messages.begin(), messages.end());
  }

  std::vector<std::string> orders() const {
    std::vector<std::string> out;
    for (const auto& m : got) out.push_back(m->update.order_id);
    return out;
  }
};

// A frame without its position (replayed and live positions are computed differently).
json::object without_position(const std::string& text) {
  auto frame = json::parse(text).as_object();
  frame.erase("position");
  return frame;
}

class StreamHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::EmbeddedLogOptions log_options;
    log_options.path = dir_.path() + "/log";
    log_options.partitions = kPartitions;
    log_ = std::make_unique<eventstore::EmbeddedLog>(log_options);
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<commands::PartitionProcessor>(p, *log_, testing::fixed_lookups(),
                                                                           commands::ProcessorOptions{}));
    }
    projections::ReadModelStoreOptions store_options;
    store_options.path = dir_.path() + "/readmodels";
    store_options.partitions = kPartitions;
    store_ = std::make_unique<projections::ReadModelStore>(store_options);
    projections::ProjectorOptions options;
    options.order_feed = &hub_;
    projector_ = std::make_unique<projections::Projector>(*log_, *store_, projections::standard_projections(), options);
  }

  void run(const v1::Command& command) {
    const auto p = eventstore::partition_for(command.stream_id(), kPartitions);
    auto replies = processors_[p]->process({command});
    ASSERT_TRUE(replies.at(0).outcome.accepted()) << replies.at(0).outcome.error_detail();
  }
  void fold() { projector_->catch_up(); }

  std::shared_ptr<Collecting> subscriber(const Topic& topic) {
    auto s = std::make_shared<Collecting>();
    hub_.subscribe(hub_.new_subscriber_id(), s, topic);
    return s;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
  std::unique_ptr<projections::ReadModelStore> store_;
  StreamHub hub_;
  std::unique_ptr<projections::Projector> projector_;
};

TEST_F(StreamHubTest, DeliversByTopicAndOnceToAConnectionWithTwoMatchingTopics) {
  auto by_order = subscriber({Topic::Kind::order, "o1"});
  auto by_customer = subscriber({Topic::Kind::customer, "c2"});
  auto everything = subscriber({Topic::Kind::all, ""});
  auto both = std::make_shared<Collecting>();
  const auto both_id = hub_.new_subscriber_id();
  hub_.subscribe(both_id, both, {Topic::Kind::order, "o1"});
  hub_.subscribe(both_id, both, {Topic::Kind::customer, "c1"});

  run(testing::place_order("o1", "c1"));
  run(testing::place_order("o2", "c2"));
  run(testing::place_order("o3", "c1"));
  run(testing::order_action("o1", "pay"));
  fold();

  EXPECT_EQ(by_order->orders(), (std::vector<std::string>{"o1", "o1"}));
  EXPECT_EQ(by_customer->orders(), (std::vector<std::string>{"o2"}));
  EXPECT_EQ(everything->got.size(), 4u);
  EXPECT_EQ(both->got.size(), 3u);  // o1 twice, o3 once; o1 not doubled by its two topics
  ASSERT_EQ(by_order->got.size(), 2u);
  EXPECT_EQ(by_order->got[0]->update.type, "OrderPlaced");
  EXPECT_EQ(by_order->got[0]->update.status, "placed");
  EXPECT_EQ(by_order->got[1]->update.type, "OrderPaid");
  EXPECT_EQ(by_order->got[1]->update.status, "confirmed");
  EXPECT_EQ(by_order->got[1]->update.version, 2u);
  EXPECT_EQ(by_order->got[1]->update.customer_id, "c1");
}

TEST_F(StreamHubTest, EachMessagePositionCoversItselfAndEverythingBefore) {
  auto everything = subscriber({Topic::Kind::all, ""});
  for (int i = 0; i < 12; ++i) run(testing::place_order("o" + std::to_string(i), "c"));
  fold();
  ASSERT_EQ(everything->got.size(), 12u);
  eventstore::PositionVector previous;
  for (const auto& m : everything->got) {
    auto position = eventstore::decode_position(json::parse(m->text).at("position").as_string());
    ASSERT_TRUE(position);
    EXPECT_EQ(position->offsets.at(m->update.partition), m->update.offset + 1);
    EXPECT_TRUE(position->covers(previous));
    previous = *position;
  }
  EXPECT_TRUE(hub_.published().covers(previous));
}

TEST_F(StreamHubTest, UnsubscribedRemovedAndVanishedSubscribersGetNothing) {
  auto a = std::make_shared<Collecting>();
  const auto a_id = hub_.new_subscriber_id();
  hub_.subscribe(a_id, a, {Topic::Kind::order, "o1"});
  auto b = std::make_shared<Collecting>();
  const auto b_id = hub_.new_subscriber_id();
  hub_.subscribe(b_id, b, {Topic::Kind::all, ""});
  auto gone = subscriber({Topic::Kind::all, ""});
  std::weak_ptr<Collecting> weak = gone;
  gone.reset();
  EXPECT_TRUE(weak.expired());

  hub_.unsubscribe(a_id, {Topic::Kind::order, "o1"});
  hub_.remove(b_id);
  run(testing::place_order("o1", "c1"));
  fold();
  EXPECT_TRUE(a->got.empty());
  EXPECT_TRUE(b->got.empty());
  EXPECT_EQ(hub_.subscriptions(), 1u);  // only the vanished one's, until its connection removes it
}

TEST_F(StreamHubTest, SubscribeReturnsTheBoundaryBetweenReplayAndLive) {
  run(testing::place_order("o1", "c1"));
  fold();
  auto late = std::make_shared<Collecting>();
  const auto upto = hub_.subscribe(hub_.new_subscriber_id(), late, {Topic::Kind::customer, "c1"});
  run(testing::order_action("o1", "pay"));
  fold();
  // Live: only what came after the boundary.
  ASSERT_EQ(late->got.size(), 1u);
  EXPECT_EQ(late->got[0]->update.type, "OrderPaid");
  // Replay below the boundary: only what came before.
  auto replay = replay_topic(*log_, *store_, {Topic::Kind::customer, "c1"}, {}, upto, 1000);
  ASSERT_FALSE(replay.error_code) << replay.detail;
  ASSERT_EQ(replay.messages.size(), 1u);
  EXPECT_EQ(replay.messages[0]->update.type, "OrderPlaced");
}

TEST_F(StreamHubTest, ReplayedMessagesAreThoseThatWentOutLive) {
  auto everything = subscriber({Topic::Kind::all, ""});
  for (int i = 0; i < 6; ++i) run(testing::place_order("o" + std::to_string(i), i % 2 ? "odd" : "even"));
  for (int i = 0; i < 6; i += 2) run(testing::order_action("o" + std::to_string(i), "pay"));
  run(testing::order_action("o0", "ship"));
  run(testing::order_action("o1", "cancel"));
  fold();
  ASSERT_EQ(everything->got.size(), 11u);

  for (const Topic& topic : {Topic{Topic::Kind::all, ""}, Topic{Topic::Kind::customer, "even"},
                             Topic{Topic::Kind::order, "o0"}}) {
    auto replay = replay_topic(*log_, *store_, topic, {}, hub_.published(), 1000);
    ASSERT_FALSE(replay.error_code) << replay.detail;
    // The live messages of this topic, per partition in log order (the replay's order).
    std::vector<MessagePtr> live;
    for (const auto& m : everything->got) {
      if (topic.matches(m->update)) live.push_back(m);
    }
    std::stable_sort(live.begin(), live.end(), [](const auto& a, const auto& b) {
      return std::tie(a->update.partition, a->update.offset) < std::tie(b->update.partition, b->update.offset);
    });
    ASSERT_EQ(replay.messages.size(), live.size());
    for (std::size_t i = 0; i < live.size(); ++i) {
      EXPECT_EQ(without_position(replay.messages[i]->text), without_position(live[i]->text));
    }
  }

  // From a live message's position: exactly the messages that went out after it. (catch_up
  // folds partition after partition, so live order here is the replay's order.)
  const auto& middle = everything->got[5];
  const auto from = *eventstore::decode_position(json::parse(middle->text).at("position").as_string());
  auto suffix = replay_topic(*log_, *store_, {Topic::Kind::all, ""}, from, hub_.published(), 1000);
  ASSERT_FALSE(suffix.error_code);
  ASSERT_EQ(suffix.messages.size(), everything->got.size() - 6);
  for (std::size_t i = 0; i < suffix.messages.size(); ++i) {
    EXPECT_EQ(without_position(suffix.messages[i]->text), without_position(everything->got[6 + i]->text));
  }
}

TEST_F(StreamHubTest, AResumeFromTooFarBackIsRefused) {
  for (int i = 0; i < 30; ++i) run(testing::place_order("o" + std::to_string(i), "c"));
  fold();
  auto replay = replay_topic(*log_, *store_, {Topic::Kind::all, ""}, {}, hub_.published(), 10);
  EXPECT_EQ(replay.error_code, "resume_too_far");
  EXPECT_TRUE(replay.messages.empty());
  auto customer = replay_topic(*log_, *store_, {Topic::Kind::customer, "c"}, {}, hub_.published(), 10);
  EXPECT_EQ(customer.error_code, "resume_too_far");
  auto enough = replay_topic(*log_, *store_, {Topic::Kind::all, ""}, {}, hub_.published(), 100);
  EXPECT_FALSE(enough.error_code);
  EXPECT_EQ(enough.messages.size(), 30u);
}

// The log as a replay sees it when its stream index trails its commits (Kafka under
// `orderd serve` writes the index just after a commit returns, and the projector may fold the
// commit first): read_stream() leaves out each stream's last event for its first `lagging`
// calls. Everything else goes to the real log.
class LaggingIndexLog final : public eventstore::EventLog {
 public:
  LaggingIndexLog(const eventstore::EventLog& inner, int lagging) : inner_(inner), lagging_(lagging) {}
  std::uint32_t partition_count() const override { return inner_.partition_count(); }
  eventstore::LogResult<eventstore::AppendResult> append(std::uint32_t, const eventstore::AppendBatch&) override {
    return eventstore::LogResult<eventstore::AppendResult>::fail(eventstore::LogError::closed, "read only");
  }
  eventstore::LogResult<std::vector<eventstore::LogRecord>> read(std::uint32_t partition, std::uint64_t from,
                                                                 std::size_t max) const override {
    return inner_.read(partition, from, max);
  }
  std::uint64_t end_offset(std::uint32_t partition) const override { return inner_.end_offset(partition); }
  eventstore::LogResult<std::uint64_t> offset_for_time(std::uint32_t partition, std::int64_t time_us) const override {
    return inner_.offset_for_time(partition, time_us);
  }
  std::uint64_t wait_beyond(std::uint32_t partition, std::uint64_t offset, std::chrono::milliseconds timeout) const override {
    return inner_.wait_beyond(partition, offset, timeout);
  }
  std::vector<std::uint64_t> wait_any(const std::vector<std::uint64_t>& ends,
                                      std::chrono::milliseconds timeout) const override {
    return inner_.wait_any(ends, timeout);
  }
  eventstore::LogResult<std::vector<eventstore::LogRecord>> read_stream(std::string_view stream_id) const override {
    auto records = inner_.read_stream(stream_id);
    ++calls_;
    if (records && !records.value->empty() && (lagging_ < 0 || calls_ <= lagging_)) records.value->pop_back();
    return records;
  }
  eventstore::LogResult<std::optional<v1::CommandOutcome>> find_outcome(std::string_view command_id) const override {
    return inner_.find_outcome(command_id);
  }
  int calls() const { return calls_; }

 private:
  const eventstore::EventLog& inner_;
  int lagging_;  // < 0: for ever
  mutable int calls_ = 0;
};

TEST_F(StreamHubTest, AReplayWaitsForAStreamIndexThatTrailsTheReadModels) {
  run(testing::place_order("o1", "c"));
  run(testing::order_action("o1", "pay"));
  fold();
  // Without the wait, the replay would miss OrderPaid: a gap the client could never see.
  LaggingIndexLog lagging(*log_, 3);
  for (const Topic& topic : {Topic{Topic::Kind::order, "o1"}, Topic{Topic::Kind::customer, "c"}}) {
    auto replay = replay_topic(lagging, *store_, topic, {}, hub_.published(), 1000);
    ASSERT_FALSE(replay.error_code) << replay.detail;
    ASSERT_EQ(replay.messages.size(), 2u);
    EXPECT_EQ(replay.messages[1]->update.type, "OrderPaid");
  }
  EXPECT_GT(lagging.calls(), 3);
  // An index that never catches up is refused rather than replayed with a gap.
  LaggingIndexLog stuck(*log_, -1);
  auto refused = replay_topic(stuck, *store_, {Topic::Kind::order, "o1"}, {}, hub_.published(), 1000);
  EXPECT_EQ(refused.error_code, "log_unavailable");
  EXPECT_TRUE(refused.messages.empty());
}

// In Kafka a partition's position can lie past its last record (a commit marker takes an
// offset no reader sees): a resume of "all" reads to the end of the records, not an error.
TEST_F(StreamHubTest, AResumeOfAllStepsOverOffsetsWithoutRecords) {
  for (int i = 0; i < 5; ++i) run(testing::place_order("o" + std::to_string(i), "c"));
  fold();
  auto upto = hub_.published();
  for (auto& [p, offset] : upto.offsets) offset += 1;  // as if each partition ended on a marker
  auto replay = replay_topic(*log_, *store_, {Topic::Kind::all, ""}, {}, upto, 1000);
  ASSERT_FALSE(replay.error_code) << replay.detail;
  EXPECT_EQ(replay.messages.size(), 5u);
}

// Subscriptions taken while the projector folds live writes: for each, replay below the
// boundary plus live from it is every update exactly once, each order in version order.
TEST_F(StreamHubTest, ReplayPlusLiveHasNoGapAndNoDuplicateUnderConcurrentWrites) {
  constexpr int kOrders = 150;
  projector_->start();
  std::atomic<bool> written{false};
  std::thread writer([&] {
    for (int i = 0; i < kOrders; ++i) run(testing::place_order("o" + std::to_string(i), "c"));
    for (int i = 0; i < kOrders; ++i) run(testing::order_action("o" + std::to_string(i), "pay"));
    written.store(true);
  });
  struct Taken {
    std::shared_ptr<Collecting> live;
    std::vector<MessagePtr> replayed;
  };
  std::vector<Taken> taken;
  const Topic topic{Topic::Kind::customer, "c"};
  while (!written.load()) {
    Taken t{std::make_shared<Collecting>(), {}};
    const auto upto = hub_.subscribe(hub_.new_subscriber_id(), t.live, topic);
    auto replay = replay_topic(*log_, *store_, topic, {}, upto, 100000);
    ASSERT_FALSE(replay.error_code) << replay.detail;
    t.replayed = std::move(replay.messages);
    taken.push_back(std::move(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  writer.join();
  eventstore::PositionVector end;
  for (std::uint32_t p = 0; p < kPartitions; ++p) end.offsets[p] = log_->end_offset(p);
  ASSERT_TRUE(store_->wait_for(end, std::chrono::seconds(60)));
  // The hub is told after the store publishes: wait for it too.
  for (int i = 0; i < 6000 && !hub_.published().covers(end); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  projector_->stop();
  ASSERT_GE(taken.size(), 2u);

  for (const auto& t : taken) {
    std::map<std::string, std::vector<std::uint64_t>> versions;
    std::lock_guard lock(t.live->mutex);
    for (const std::vector<MessagePtr>* list : {&t.replayed, static_cast<const std::vector<MessagePtr>*>(&t.live->got)}) {
      for (const auto& m : *list) versions[m->update.order_id].push_back(m->update.version);
    }
    ASSERT_EQ(versions.size(), static_cast<std::size_t>(kOrders));
    for (const auto& [order, seen] : versions) EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2})) << order;
  }
}

TEST(StreamProtocol, ParsesTheFramesOfTheProtocol) {
  auto order = parse_client_frame(R"({"op":"subscribe","order_id":"o-1"})");
  ASSERT_TRUE(std::holds_alternative<ClientFrame>(order));
  EXPECT_EQ(std::get<ClientFrame>(order).topic, (Topic{Topic::Kind::order, "o-1"}));
  EXPECT_FALSE(std::get<ClientFrame>(order).from);

  eventstore::PositionVector p;
  p.offsets[3] = 17;
  auto all = parse_client_frame(R"({"op":"subscribe","all":true,"token":"t","from":")" + eventstore::encode_position(p) + "\"}");
  ASSERT_TRUE(std::holds_alternative<ClientFrame>(all));
  const auto& frame = std::get<ClientFrame>(all);
  EXPECT_EQ(frame.topic.kind, Topic::Kind::all);
  EXPECT_EQ(frame.token, "t");
  ASSERT_TRUE(frame.from);
  EXPECT_EQ(frame.from->offsets.at(3), 17u);

  // The empty position (docs/streaming.md: replays a topic's whole history).
  EXPECT_EQ(eventstore::encode_position({}), "p1.AA");
  ASSERT_TRUE(std::holds_alternative<ClientFrame>(parse_client_frame(R"({"op":"subscribe","order_id":"o","from":"p1.AA"})")));

  auto off = parse_client_frame(R"({"op":"unsubscribe","customer_id":"c"})");
  ASSERT_TRUE(std::holds_alternative<ClientFrame>(off));
  EXPECT_EQ(std::get<ClientFrame>(off).op, ClientFrame::Op::unsubscribe);
}

TEST(StreamProtocol, RefusesHostileFramesWithACode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed_frame"},
      {"\xff\xfe", "malformed_frame"},
      {"null", "malformed_frame"},
      {"\"subscribe\"", "malformed_frame"},
      {std::string(100, '{'), "malformed_frame"},
      {R"({"op":"subscribe","order_id":"o"} trailing)", "malformed_frame"},
      {R"({"op":1,"order_id":"o"})", "validation_failed"},
      {R"({"op":"subscribe","order_id":["o"]})", "validation_failed"},
      {R"({"op":"subscribe","customer_id":null})", "validation_failed"},
      {R"({"op":"subscribe","all":"yes"})", "validation_failed"},
      {R"({"op":"subscribe","order_id":"o","from":17})", "validation_failed"},
      {R"({"op":"unsubscribe","order_id":"o","from":"p1.AA"})", "validation_failed"},
      {R"({"op":"subscribe","all":true,"token":5})", "validation_failed"},
      {R"({"op":"subscribe","sku":"x"})", "unknown_subscription"},
  };
  for (const auto& [text, code] : cases) {
    auto parsed = parse_client_frame(text);
    ASSERT_TRUE(std::holds_alternative<FrameError>(parsed)) << text;
    EXPECT_EQ(std::get<FrameError>(parsed).code, code) << text;
  }
}

}  // namespace
}  // namespace orderline::gateway
