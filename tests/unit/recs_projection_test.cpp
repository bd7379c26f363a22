// The recommendations projection through the real projector into RocksDB: orders placed,
// cancelled and returned by real commands end in the same answers as the model folded in
// memory over the orders still live, and a rebuild (`orderctl projections rebuild
// recommendations`) ends equal and drops version 1's keys.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <set>
#include <thread>

#include "projections/counter_row.h"
#include "projections/keys.h"
#include "projections/read_model_store.h"
#include "projections/recommendation_queries.h"
#include "projections/recommendations/co_purchase_fold.h"
#include "projections/recommendations/memory_count_store.h"
#include "projections/rocksdb_projection_admin.h"
#include "projections/standard_projections.h"
#include "tests/support/engine_fixture.h"

namespace orderline::testing {
namespace {

namespace recs = recommendations;
constexpr std::uint32_t kPartitions = 3;
const std::vector<std::string> kSkus = {"BEANS",  "CUP",    "DRIPPER", "FILTER", "GRINDER", "JUG",  "KETTLE", "MUG",
                                       "SCALE",  "SPOON",  "TAMPER",  "TEA",    "THERMOS", "TIN",  "TRAY"};
constexpr int kCustomers = 30;

commands::Lookups shop_lookups() {
  auto lookups = fixed_lookups();
  lookups.catalogue = [](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    if (std::find(kSkus.begin(), kSkus.end(), sku) == kSkus.end()) return std::nullopt;
    domain::ProductSnapshot snapshot;
    snapshot.sku = std::string(sku);
    snapshot.name = "The " + std::string(sku);
    snapshot.price.set_amount_minor(500);
    snapshot.price.set_currency("EUR");
    snapshot.active = true;
    return snapshot;
  };
  return lookups;
}

v1::Command action(const std::string& order_id, const std::string& name) {
  auto command = order_action(order_id, name);
  if (name != "return" && name != "receive") return command;
  v1::OrderAction body;
  body.set_order_id(order_id);
  body.set_return_id("ret-" + order_id);
  if (name == "return") *command.mutable_request_return() = body;
  else *command.mutable_receive_return() = body;
  return command;
}

class RecsProjectionTest : public ::testing::Test {
 protected:
  RecsProjectionTest() : log_({dir_.path() + "/log", kPartitions}) {
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(
          std::make_unique<commands::PartitionProcessor>(p, log_, shop_lookups(), commands::ProcessorOptions{}));
    }
  }

  void run(const v1::Command& command) {
    const auto p = eventstore::partition_for(command.stream_id(), kPartitions);
    auto reply = processors_[p]->process({command}).front();
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  }

  // Order i of customer i % 30 holds 1 to 3 SKUs; every fourth is cancelled, every fifth
  // delivered and returned (retracted either way), every sixth delivered and kept.
  void write_orders(int count) {
    for (int i = 0; i < count; ++i) {
      const auto id = "o" + std::to_string(i);
      const auto customer = "cust-" + std::to_string(i % kCustomers);
      std::vector<std::pair<std::string, int>> lines;
      for (int l = 0; l <= i % 3; ++l) lines.emplace_back(kSkus[(i * 7 + l * 4) % kSkus.size()], 1);
      run(place_order(id, customer, lines));
      std::vector<std::string> items;
      for (auto& [sku, q] : lines) items.push_back(sku);
      if (i % 4 == 0) {
        run(action(id, "cancel"));
      } else if (i % 5 == 0 || i % 6 == 0) {
        for (const char* step : {"pay", "ship", "deliver"}) run(action(id, step));
        if (i % 5 == 0) {
          run(action(id, "return"));
          run(action(id, "receive"));
        } else {
          live_.emplace(id, std::make_pair(customer, items));
        }
      } else {
        live_.emplace(id, std::make_pair(customer, items));
      }
    }
  }

  // The model folded in memory over the orders still live: what the projection must answer.
  std::vector<std::string> expected_answers() {
    recs::MemoryCountStore counts;
    recs::CoPurchaseFold fold(counts);
    for (const auto& [id, order] : live_) {
      std::vector<recs::BasketItem> items;
      for (const auto& sku : order.second) items.push_back({sku, "The " + sku});
      fold.count(recs::make_basket(id, order.first, 0, std::move(items)));
    }
    recs::Recommender recommender(counts);
    return answers([&](const std::string& sku) { return recommender.related(sku, 4); },
                   [&](const std::string& customer) { return recommender.for_customer(customer, 4); });
  }

  static std::vector<std::string> answers_of(const projections::RecommendationQueries& queries) {
    return answers([&](const std::string& sku) { return queries.related(sku, 4); },
                   [&](const std::string& customer) { return queries.for_customer(customer, 4); });
  }

  template <typename Related, typename ForCustomer>
  static std::vector<std::string> answers(Related related, ForCustomer for_customer) {
    std::vector<std::string> out;
    auto add = [&](const std::vector<recs::Recommendation>& found) {
      std::string line;
      for (const auto& r : found) {
        // Popularity decays by business time, which differs here (the commands' clock vs 0):
        // its order is compared, not its value.
        const bool popular = r.reason == recs::Recommendation::Reason::popular;
        line += r.sku + "/" + r.name + "/" + (popular ? "" : std::to_string(r.score)) + "/" + reason_text(r) + ";";
      }
      out.push_back(line);
    };
    for (const auto& sku : kSkus) add(related(sku));
    for (int c = 0; c <= kCustomers; ++c) add(for_customer("cust-" + std::to_string(c)));  // and one unknown
    return out;
  }

  static std::size_t keys_with_prefix(projections::ReadModelStore& store, const std::string& prefix) {
    std::unique_ptr<rocksdb::Iterator> it(store.db().NewIterator(rocksdb::ReadOptions()));
    std::size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  }

  TempDir dir_;
  eventstore::EmbeddedLog log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> live_;  // id -> (customer, skus)
};

TEST_F(RecsProjectionTest, FoldsOrdersWithRetractionsLikeTheModelAndSurvivesARebuild) {
  write_orders(150);
  projections::ReadModelStore store({dir_.path() + "/read-models", kPartitions});
  projections::Projector live(log_, store, projections::standard_projections());
  live.catch_up();
  projections::RecommendationQueries queries(store);

  const auto expected = expected_answers();
  ASSERT_EQ(answers_of(queries), expected);
  // Not a comparison of empty answers: customers get items because of what they bought.
  std::size_t personal = 0;
  for (const auto& answer : expected) personal += answer.find("because you bought") != std::string::npos;
  EXPECT_GT(personal, 10u);
  // Nothing a customer holds in a live order is recommended to them.
  for (const auto& r : queries.for_customer("cust-1", 10)) {
    for (const auto& [id, order] : live_) {
      if (order.first == "cust-1") {
        EXPECT_EQ(std::count(order.second.begin(), order.second.end(), r.sku), 0) << r.sku;
      }
    }
  }
  EXPECT_FALSE(queries.has_history("cust-unknown"));
  EXPECT_GT(keys_with_prefix(store, "r/p/"), 0u);

  projections::RocksProjectionAdminOptions options;
  options.factory = [](const std::string& name) { return projections::standard_projection(name); };
  projections::RocksProjectionAdmin admin(log_, store, live, options);
  ASSERT_EQ(admin.rebuild("recommendations").code, projections::OperationResult::Code::ok);
  std::string state = "still running";
  for (int i = 0; i < 6000 && state == "still running"; ++i) {  // a guard against hanging, not a timing check
    for (const auto& status : admin.list()) {
      if (status.name == "recommendations" && status.rebuild && status.rebuild->finished_at_us != 0) {
        state = status.rebuild->state;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(state, "done");
  EXPECT_EQ(store.active_version("recommendations"), 2);
  EXPECT_EQ(keys_with_prefix(store, "r/"), 0u);
  EXPECT_GT(keys_with_prefix(store, "~recommendations@2/r/p/"), 0u);
  EXPECT_EQ(answers_of(queries), expected);
}

// The counts themselves, not only the answers: the pair and customer rows RocksDB adds up from
// the merges (counter_row.h) hold exactly a recount of the orders still live, before and after
// a compaction has merged the operands into the stored rows.
TEST_F(RecsProjectionTest, MergedCountRowsEqualABatchRecountBeforeAndAfterACompaction) {
  write_orders(150);
  projections::ReadModelStore store({dir_.path() + "/read-models", kPartitions});
  projections::Projector live(log_, store, projections::standard_projections());
  live.catch_up();

  recs::MemoryCountStore recount;
  recs::CoPurchaseFold fold(recount);
  std::set<std::string> customers;
  for (const auto& [id, order] : live_) {
    std::vector<recs::BasketItem> items;
    for (const auto& sku : order.second) items.push_back({sku, "The " + sku});
    fold.count(recs::make_basket(id, order.first, 0, std::move(items)));
    customers.insert(order.first);
  }
  auto stored_row = [&](const std::string& key) {
    std::string value;
    auto status = store.db().Get(rocksdb::ReadOptions(), key, &value);
    if (status.IsNotFound()) return std::vector<recs::Counted>{};
    EXPECT_TRUE(status.ok()) << key << ": " << status.ToString();
    auto row = projections::decode_row(value);
    EXPECT_TRUE(row.has_value()) << key;
    return row ? std::vector<recs::Counted>(row->begin(), row->end()) : std::vector<recs::Counted>{};
  };
  auto expect_recount = [&] {
    std::size_t pairs = 0;
    for (const auto& sku : kSkus) {
      EXPECT_EQ(stored_row("r/p/" + sku), recount.pairs_of(sku)) << sku;
      pairs += recount.pairs_of(sku).size();
    }
    for (int c = 0; c < kCustomers; ++c) {
      const auto customer = "cust-" + std::to_string(c);
      EXPECT_EQ(stored_row("r/c/" + customer), recount.customer_items(customer)) << customer;
    }
    EXPECT_GT(pairs, 20u);  // not a comparison of empty rows
  };
  expect_recount();
  ASSERT_TRUE(store.db().CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  expect_recount();
}

TEST_F(RecsProjectionTest, AStoreOfTheOldFormatIsFoldedAgainOnStart) {
  write_orders(60);
  projections::ReadModelStore store({dir_.path() + "/read-models", kPartitions});
  {
    projections::Projector live(log_, store, projections::standard_projections());
    live.catch_up();
  }
  // What a server before weekly counts left behind: no format record (format 1) and items
  // holding a decayed sum (format byte 1), which this build cannot decode.
  ASSERT_TRUE(store.db().Delete(rocksdb::WriteOptions(), projections::keys::format("recommendations", 1)).ok());
  const std::string old_item("\x01\0\0\0\0\0\0\0\x02" "0123456789abcdef\0\0\0\0", 29);
  ASSERT_TRUE(store.db().Put(rocksdb::WriteOptions(), "r/i/OLD-ITEM", old_item).ok());
  ASSERT_EQ(store.stored_format("recommendations", 1), 1);

  projections::Projector restarted(log_, store, projections::standard_projections());
  EXPECT_EQ(keys_with_prefix(store, "r/"), 0u);  // dropped before folding
  // The other projections keep their checkpoints: their format did not change.
  std::uint64_t kept = 0;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    kept += store.stored_checkpoint("order_details", p);
    EXPECT_EQ(store.stored_checkpoint("recommendations", p), 0u);
  }
  EXPECT_GT(kept, 0u);
  restarted.catch_up();
  EXPECT_EQ(store.stored_format("recommendations", 1), projections::make_recommendations_projection()->format());
  EXPECT_EQ(keys_with_prefix(store, "r/i/OLD-ITEM"), 0u);
  projections::RecommendationQueries queries(store);
  EXPECT_EQ(answers_of(queries), expected_answers());
}

}  // namespace
}  // namespace orderline::testing
