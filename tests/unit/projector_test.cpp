// The projector folds the log into the RocksDB read models exactly once, across restarts.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "projections/projector.h"
#include "projections/standard_projections.h"
#include "tests/support/engine_fixture.h"

namespace orderline::projections {
namespace {

using testing::create_product;
using testing::order_action;
using testing::place_order;

class ProjectorTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kPartitions = 4;

  ProjectorTest() : log_({log_dir_.path(), kPartitions}) {
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(
          std::make_unique<commands::PartitionProcessor>(p, log_, testing::fixed_lookups(), commands::ProcessorOptions{}));
    }
    open_store();
  }

  void open_store() {
    store_.reset();
    store_ = std::make_unique<ReadModelStore>(ReadModelStoreOptions{store_dir_.path(), kPartitions});
  }

  commands::CommandReply run(const v1::Command& command, std::int64_t now_us = 0) {
    auto lookups = testing::fixed_lookups();
    if (now_us) lookups.now_us = [now_us] { return now_us; };
    const auto p = eventstore::partition_for(command.stream_id(), kPartitions);
    commands::PartitionProcessor processor(p, log_, lookups, {});
    auto reply = processor.process({command}).front();
    EXPECT_TRUE(reply.outcome.accepted()) << command.command_id() << ": " << reply.outcome.error_detail();
    return reply;
  }

  void project() {
    Projector projector(log_, *store_, standard_projections());
    projector.catch_up();
  }

  testing::TempDir log_dir_, store_dir_;
  eventstore::EmbeddedLog log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
  std::unique_ptr<ReadModelStore> store_;
};

TEST_F(ProjectorTest, OrderDetailsFollowTheOrderLife) {
  run(place_order("o1"));
  run(order_action("o1", "pay"));
  auto shipped = run(order_action("o1", "ship"));
  project();
  auto view = store_->order("o1");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->customer_id(), "cust-1");
  EXPECT_EQ(view->status(), "confirmed");
  EXPECT_EQ(view->payment_status(), "captured");
  EXPECT_EQ(view->fulfillment_status(), "shipped");
  EXPECT_EQ(view->version(), 3u);
  ASSERT_EQ(view->lines_size(), 1);
  EXPECT_EQ(view->lines(0).unit_price().amount_minor(), 1000);
  EXPECT_EQ(view->total().amount_minor(), 2000);
  EXPECT_GE(view->history_size(), 5);
  EXPECT_TRUE(store_->reached({{{shipped.outcome.partition(), shipped.outcome.offset()}}}));
  EXPECT_FALSE(store_->order("nope"));
}

TEST_F(ProjectorTest, CustomerOrdersAreNewestFirstWithStableCursors) {
  for (int i = 0; i < 5; ++i) run(place_order("o" + std::to_string(i)), 1'000'000 + i);
  run(place_order("other", "cust-2"));
  project();
  auto first = store_->customer_orders("cust-1", 2, "");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].order_id(), "o4");
  EXPECT_EQ(first->items[1].order_id(), "o3");
  ASSERT_TRUE(first->next_cursor);
  auto second = store_->customer_orders("cust-1", 2, *first->next_cursor);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->items[0].order_id(), "o2");
  EXPECT_EQ(second->items[1].order_id(), "o1");
  auto last = store_->customer_orders("cust-1", 2, *second->next_cursor);
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].order_id(), "o0");
  EXPECT_FALSE(last->next_cursor);
  EXPECT_FALSE(store_->customer_orders("cust-1", 2, "!!not-a-cursor"));
}

TEST_F(ProjectorTest, CatalogueShowsAvailableStock) {
  run(create_product("SKU-1", 1000, 50));
  run(place_order("o1", "cust-1", {{"SKU-1", 2}}));
  run(place_order("o2", "cust-1", {{"SKU-1", 3}}));
  run(order_action("o2", "cancel"));
  project();
  auto product = store_->product("SKU-1");
  ASSERT_TRUE(product);
  EXPECT_EQ(product->on_hand(), 50);
  EXPECT_EQ(product->committed(), 2);
  EXPECT_TRUE(product->active());
  auto page = store_->products(10, "");
  ASSERT_EQ(page->items.size(), 1u);
}

TEST_F(ProjectorTest, RestartFromCheckpointAppliesNothingTwice) {
  run(create_product("SKU-1", 1000, 50));
  run(place_order("o1", "cust-1", {{"SKU-1", 2}}));
  project();
  open_store();  // a restart: new store handle, new projector, same checkpoints
  project();
  run(place_order("o2", "cust-1", {{"SKU-1", 1}}));
  project();
  EXPECT_EQ(store_->product("SKU-1")->committed(), 3);
  EXPECT_EQ(store_->order("o1")->version(), 1u);
  auto checkpoints = store_->checkpoints();
  for (std::uint32_t p = 0; p < kPartitions; ++p) EXPECT_EQ(checkpoints.offsets[p], log_.end_offset(p));
}

TEST_F(ProjectorTest, RunningProjectorFollowsTheLog) {
  Projector projector(log_, *store_, standard_projections());
  projector.start();
  auto reply = run(place_order("o1"));
  EXPECT_TRUE(store_->wait_for({{{reply.outcome.partition(), reply.outcome.offset()}}}, std::chrono::seconds(10)));
  EXPECT_TRUE(store_->order("o1"));
  projector.stop();
}

// Counts the events it folds under t/count as "<format>:<count>", and how many it applied.
class Tally final : public Projection {
 public:
  Tally(int format, int& applied) : format_(format), applied_(applied) {}
  std::string name() const override { return "tally"; }
  std::vector<std::string> key_prefixes() const override { return {"t/"}; }
  int format() const override { return format_; }
  void apply(const EventContext&, BatchWriter& writer) override {
    ++applied_;
    int count = 0;
    if (auto stored = writer.get("t/count")) {
      // A value of another format is a bug here: the projector must have dropped it.
      EXPECT_EQ(stored->substr(0, stored->find(':')), std::to_string(format_));
      count = std::stoi(stored->substr(stored->find(':') + 1));
    }
    writer.put("t/count", std::to_string(format_) + ":" + std::to_string(count + 1));
  }

 private:
  int format_;
  int& applied_;
};

TEST_F(ProjectorTest, AStoreWrittenInAnotherFormatIsFoldedAgainFromTheStart) {
  for (int i = 0; i < 3; ++i) run(place_order("o" + std::to_string(i)));
  auto fold_with = [&](int format) {
    int applied = 0;
    std::vector<std::unique_ptr<Projection>> projections;
    projections.push_back(std::make_unique<Tally>(format, applied));
    Projector projector(log_, *store_, std::move(projections));
    projector.catch_up();
    return applied;
  };
  auto stored = [&] {
    std::string value;
    EXPECT_TRUE(store_->db().Get(rocksdb::ReadOptions(), "t/count", &value).ok());
    return value;
  };
  EXPECT_EQ(fold_with(1), 3);
  EXPECT_EQ(stored(), "1:3");
  EXPECT_EQ(store_->stored_format("tally", 1), 1);  // absent: 1, as stores written before formats

  open_store();
  EXPECT_EQ(fold_with(2), 3);  // dropped and folded again: counted once, in the new format
  EXPECT_EQ(stored(), "2:3");
  EXPECT_EQ(store_->stored_format("tally", 1), 2);

  open_store();
  EXPECT_EQ(fold_with(2), 0);  // the same format again: nothing to fold
  run(place_order("o3"));
  EXPECT_EQ(fold_with(2), 1);
  EXPECT_EQ(stored(), "2:4");
}

}  // namespace
}  // namespace orderline::projections
