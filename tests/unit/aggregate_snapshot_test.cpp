// Persisted aggregate snapshots (DESIGN write-side rule 3): written with the events every N
// events of a stream, read on a cache miss and folded forward; a snapshot the code cannot
// trust (corrupt, another state schema, another aggregate, not in line with the stream) is
// ignored and the stream replayed. Every comparison is against a full replay of the stream.
#include <gtest/gtest.h>

#include "commands/aggregate_loader.h"
#include "domain/snapshot_codec.h"
#include "orderline/v1/snapshots.pb.h"
#include "tests/support/engine_fixture.h"

namespace orderline::commands {
namespace {

using testing::create_product;
using testing::release_stock;
using testing::reserve_stock;

constexpr std::uint32_t kPartitions = 2;
const std::string kSku = "LONG-1";
const std::string kStream = domain::product_stream(kSku);

class AggregateSnapshotTest : public ::testing::Test {
 protected:
  void open(std::uint64_t snapshot_every) {
    processor_.reset();
    log_.reset();
    log_ = std::make_unique<eventstore::EmbeddedLog>(eventstore::EmbeddedLogOptions{dir_.path(), kPartitions});
    ProcessorOptions options;
    options.snapshot_every = snapshot_every;
    processor_ = std::make_unique<PartitionProcessor>(partition(), *log_, testing::fixed_lookups(), options);
  }
  std::uint32_t partition() const { return eventstore::partition_for(kStream, kPartitions); }

  // A product, then `reservations` holds and the release of every third one, in batches of
  // 7 commands (so snapshot points fall inside batches, not only at their ends).
  void make_long_stream(int reservations) {
    ASSERT_TRUE(processor_->process({create_product(kSku, 500, 1'000'000)}).front().outcome.accepted());
    std::vector<v1::Command> batch;
    auto flush = [&] {
      for (const auto& reply : processor_->process(batch)) {
        ASSERT_EQ(reply.kind, CommandReply::Kind::done);
        ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
      }
      batch.clear();
    };
    for (int i = 0; i < reservations; ++i) {
      batch.push_back(reserve_stock(kSku, "o" + std::to_string(i)));
      if (i % 3 == 0) batch.push_back(release_stock(kSku, "o" + std::to_string(i)));
      if (batch.size() >= 7) flush();
    }
    if (!batch.empty()) flush();
  }

  static std::string bytes_of(const domain::AggregateState& state) { return *domain::encode_snapshot(state); }

  // The stored snapshot, rewritten by `edit` and appended back (a batch of no events).
  void tamper(const std::function<void(eventstore::StreamSnapshot&)>& edit) {
    auto tail = log_->read_stream_tail(kStream);
    ASSERT_TRUE(tail && tail.value->snapshot) << "no snapshot to tamper with";
    auto snapshot = *tail.value->snapshot;
    edit(snapshot);
    eventstore::AppendBatch batch;
    batch.snapshots.push_back(snapshot);
    ASSERT_TRUE(log_->append(partition(), batch));
  }

  void expect_full_replay_is_used() {
    auto loaded = load_aggregate(*log_, kStream);
    auto replayed = replay_aggregate(*log_, kStream);
    ASSERT_TRUE(loaded && replayed);
    EXPECT_FALSE(loaded.value->from_snapshot);
    EXPECT_EQ(bytes_of(loaded.value->state), bytes_of(replayed.value->state));
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::unique_ptr<PartitionProcessor> processor_;
};

TEST_F(AggregateSnapshotTest, ALongStreamLoadsFromItsSnapshotAfterARestartAsAFullReplayWould) {
  open(/*snapshot_every=*/50);
  make_long_stream(3000);  // 4001 events
  EXPECT_GT(processor_->stats().snapshots_written, 70u);

  open(50);  // a restart: empty cache
  auto loaded = load_aggregate(*log_, kStream);
  auto replayed = replay_aggregate(*log_, kStream);
  ASSERT_TRUE(loaded) << loaded.detail;
  ASSERT_TRUE(replayed) << replayed.detail;
  EXPECT_TRUE(loaded.value->from_snapshot);
  EXPECT_LT(loaded.value->events_folded, 50u + 7u);  // at most one interval plus a batch
  EXPECT_EQ(replayed.value->events_folded, 4001u);
  EXPECT_EQ(domain::version_of(loaded.value->state), 4001u);
  EXPECT_EQ(bytes_of(loaded.value->state), bytes_of(replayed.value->state));
  const auto& product = std::get<domain::ProductState>(loaded.value->state);
  EXPECT_EQ(product.reservations.size(), 2000u);

  // The processor takes the same path on its cache miss, and the stream goes on from there.
  auto reply = processor_->process({reserve_stock(kSku, "after-restart")}).front();
  ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  EXPECT_EQ(reply.outcome.version(), 4002u);
  EXPECT_EQ(processor_->stats().loads_from_snapshot, 1u);
  EXPECT_LT(processor_->stats().events_replayed, 57u);
}

TEST_F(AggregateSnapshotTest, NoSnapshotsWhenTurnedOff) {
  open(0);
  make_long_stream(100);
  EXPECT_EQ(processor_->stats().snapshots_written, 0u);
  auto tail = log_->read_stream_tail(kStream);
  ASSERT_TRUE(tail);
  EXPECT_FALSE(tail.value->snapshot);
  EXPECT_EQ(tail.value->records.size(), 135u);  // the creation, 100 holds, 34 releases
}

// Control for the tests below: a snapshot that decodes and matches the schema is trusted as
// it is (here one with a forged stock figure), so the tests below could fail.
TEST_F(AggregateSnapshotTest, ControlATrustedSnapshotIsUsedAsItIs) {
  open(20);
  make_long_stream(100);
  tamper([](eventstore::StreamSnapshot& s) {
    auto state = *domain::decode_snapshot(kStream, s.state);
    std::get<domain::ProductState>(state).on_hand = 42;
    s.state = *domain::encode_snapshot(state);
  });
  auto loaded = load_aggregate(*log_, kStream);
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded.value->from_snapshot);
  EXPECT_EQ(std::get<domain::ProductState>(loaded.value->state).on_hand, 42);
}

TEST_F(AggregateSnapshotTest, ASnapshotOfAnotherStateSchemaIsIgnored) {
  open(20);
  make_long_stream(100);
  tamper([](eventstore::StreamSnapshot& s) {
    v1::AggregateSnapshot stored;
    ASSERT_TRUE(stored.ParseFromString(s.state));
    stored.set_state_schema(domain::kStateSchemaVersion + 1);  // written by other code
    stored.mutable_product()->set_on_hand(42);
    s.state = stored.SerializeAsString();
  });
  expect_full_replay_is_used();
}

TEST_F(AggregateSnapshotTest, ACorruptSnapshotIsIgnored) {
  open(20);
  make_long_stream(100);
  tamper([](eventstore::StreamSnapshot& s) { s.state = "\x0a\xff\xff not a snapshot"; });
  expect_full_replay_is_used();
}

TEST_F(AggregateSnapshotTest, ASnapshotOfAnotherAggregateIsIgnored) {
  open(20);
  make_long_stream(100);
  tamper([](eventstore::StreamSnapshot& s) {
    domain::OrderState order;
    order.version = s.version;
    order.order_id = kSku;
    s.state = *domain::encode_snapshot(order);
  });
  expect_full_replay_is_used();
}

TEST_F(AggregateSnapshotTest, ASnapshotOutOfLineWithTheStreamIsIgnored) {
  open(20);
  make_long_stream(100);
  // Claims an older version than the state it holds: the events after it would fold twice.
  tamper([](eventstore::StreamSnapshot& s) { s.version -= 3; });
  expect_full_replay_is_used();
}

TEST_F(AggregateSnapshotTest, ASnapshotPastThePublishedEndIsIgnored) {
  open(20);
  make_long_stream(100);
  tamper([&](eventstore::StreamSnapshot& s) { s.offset = log_->end_offset(partition()) + 5; });
  expect_full_replay_is_used();
}

}  // namespace
}  // namespace orderline::commands
