// The incremental fold against a batch recount: whatever order orders are placed, cancelled,
// expired, returned or repeated in, the counts equal a fresh count of the orders still live.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "projections/recommendations/co_purchase_fold.h"
#include "projections/recommendations/memory_count_store.h"

namespace orderline::recommendations {
namespace {

constexpr std::int64_t kDay = 24LL * 3600 * 1000 * 1000;

Basket basket(const std::string& order, const std::string& customer, std::int64_t at_us,
              std::vector<std::string> skus) {
  std::vector<BasketItem> items;
  for (auto& sku : skus) items.push_back({sku, "name of " + sku});
  return make_basket(order, customer, at_us, std::move(items));
}

// Byte for byte where it matters: the weekly counts and names are exact integers and strings,
// so the incremental fold stores exactly what a recount stores.
void expect_same_counts(const MemoryCountStore& incremental, const MemoryCountStore& batch,
                        const std::set<std::string>& skus, const std::set<std::string>& customers) {
  EXPECT_EQ(incremental.totals().live_orders, batch.totals().live_orders);
  for (const auto& sku : skus) {
    const auto a = incremental.item(sku).value_or(ItemStats{});
    const auto b = batch.item(sku).value_or(ItemStats{});
    EXPECT_EQ(a.orders, b.orders) << sku;
    EXPECT_EQ(a.popularity, b.popularity) << sku;
    EXPECT_EQ(incremental.pairs_of(sku), batch.pairs_of(sku)) << sku;
  }
  for (const auto& customer : customers) {
    EXPECT_EQ(incremental.customer_items(customer), batch.customer_items(customer)) << customer;
  }
}

TEST(RecsCounts, IncrementalFoldEqualsABatchRecountOverARandomSequenceWithRetractions) {
  std::mt19937 random(20261129);
  std::set<std::string> skus, customers;
  for (int i = 0; i < 15; ++i) skus.insert("SKU-" + std::to_string(i));
  for (int i = 0; i < 6; ++i) customers.insert("C" + std::to_string(i));
  const std::vector<std::string> sku_list(skus.begin(), skus.end());
  const std::vector<std::string> customer_list(customers.begin(), customers.end());

  MemoryCountStore incremental;
  CoPurchaseFold fold(incremental);
  std::map<std::string, Basket> placed;
  std::set<std::string> retracted;
  for (int step = 0; step < 3000; ++step) {
    const int action = std::uniform_int_distribution<int>(0, 9)(random);
    if (action < 6 || placed.empty()) {
      // A new order (sometimes repeating an SKU) or, now and then, the same OrderPlaced again.
      if (!placed.empty() && action == 5) {
        auto it = std::next(placed.begin(), std::uniform_int_distribution<std::size_t>(0, placed.size() - 1)(random));
        EXPECT_FALSE(fold.count(it->second));
        continue;
      }
      std::vector<std::string> items;
      const int lines = std::uniform_int_distribution<int>(1, 6)(random);
      for (int l = 0; l < lines; ++l) items.push_back(sku_list[random() % sku_list.size()]);
      const std::string id = "order-" + std::to_string(step);
      auto b = basket(id, customer_list[random() % customer_list.size()], step * kDay / 10, items);
      EXPECT_TRUE(fold.count(b));
      placed.emplace(id, std::move(b));
    } else {
      // Cancelled, expired or returned; sometimes twice, sometimes an order never placed.
      auto it = std::next(placed.begin(), std::uniform_int_distribution<std::size_t>(0, placed.size() - 1)(random));
      const bool first = retracted.insert(it->first).second;
      EXPECT_EQ(fold.retract(it->first), first);
      EXPECT_FALSE(fold.retract("order-never-placed"));
    }
  }

  MemoryCountStore batch;
  CoPurchaseFold recount(batch);
  for (const auto& [id, b] : placed) {
    if (!retracted.count(id)) recount.count(b);
  }
  ASSERT_GT(batch.totals().live_orders, 100);
  ASSERT_GT(static_cast<std::int64_t>(retracted.size()), 100);
  expect_same_counts(incremental, batch, skus, customers);
}

TEST(RecsCounts, ACancelledOrderIsRetractedAndNeverCountedAgain) {
  MemoryCountStore store;
  CoPurchaseFold fold(store);
  ASSERT_TRUE(fold.count(basket("o1", "ada", 0, {"MUG", "COFFEE", "MUG"})));
  ASSERT_TRUE(fold.count(basket("o2", "bob", kDay, {"MUG", "TEA"})));
  EXPECT_EQ(store.item("MUG")->orders, 2);
  EXPECT_EQ(store.pair("MUG", "COFFEE"), 1);
  EXPECT_EQ(store.pair("COFFEE", "MUG"), 1);
  EXPECT_EQ(store.customer_item("ada", "MUG"), 1);  // one order, however many lines

  EXPECT_TRUE(fold.retract("o1"));   // cancelled
  EXPECT_FALSE(fold.retract("o1"));  // and then returned: not taken back twice
  EXPECT_FALSE(fold.count(basket("o1", "ada", 0, {"MUG", "COFFEE"})));  // a replayed OrderPlaced
  EXPECT_EQ(store.item("MUG")->orders, 1);
  EXPECT_EQ(store.item("COFFEE")->orders, 0);
  EXPECT_EQ(store.pair("MUG", "COFFEE"), 0);
  EXPECT_TRUE(store.pairs_of("COFFEE").empty());
  EXPECT_TRUE(store.customer_items("ada").empty());
  EXPECT_EQ(store.totals().live_orders, 1);
  // o2's week alone is left.
  EXPECT_EQ(store.item("MUG")->popularity.weeks, (std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 1}}));
}

TEST(RecsCounts, PopularityHalvesEveryHalfLifeOfBusinessTimeCountedByWeek) {
  constexpr std::int64_t kWeek = DecayedCounts::kWeekUs;
  const double half_life = 4.0 * kWeek;
  DecayedCounts counts;
  counts.add(kWeek / 2);              // week 0 (its middle)
  counts.add(4 * kWeek + kWeek / 2);  // week 4
  counts.add(4 * kWeek + 1);          // week 4 again: counted, not stored twice
  EXPECT_EQ(counts.weeks, (std::vector<std::pair<std::int64_t, std::int64_t>>{{4, 2}, {0, 1}}));
  // At the middle of week 4: week 4 weighs 1 per order, week 0 (four weeks older) one half.
  EXPECT_NEAR(counts.value_at(4 * kWeek + kWeek / 2, half_life), 2.5, 1e-12);
  EXPECT_NEAR(counts.value_at(8 * kWeek + kWeek / 2, half_life), 1.25, 1e-12);
  // A week newer than "now" does not weigh more than one order each.
  EXPECT_NEAR(counts.value_at(0, half_life), 3.0, 1e-12);
  counts.remove(4 * kWeek);
  counts.remove(20 * kWeek);  // a week without orders: nothing to take back
  EXPECT_EQ(counts.weeks, (std::vector<std::pair<std::int64_t, std::int64_t>>{{4, 1}, {0, 1}}));
  counts.remove(0);
  counts.remove(4 * kWeek);
  EXPECT_TRUE(counts.weeks.empty());
  EXPECT_EQ(counts.value_at(0, half_life), 0);
  // Before 1970 too: -1 us is in week -1, not week 0.
  EXPECT_EQ(DecayedCounts::week_of(-1), -1);
  EXPECT_EQ(DecayedCounts::week_of(-kWeek), -1);
  EXPECT_EQ(DecayedCounts::week_of(kWeek - 1), 0);
}

TEST(RecsCounts, StoredCountsDoNotDependOnTheOrderOrdersAreFoldedIn) {
  // The same orders (with retractions, and a renamed item) folded in many interleavings end
  // in the same counts and names, exactly: what a rebuild or a restore compares byte for byte.
  std::mt19937 random(7);
  std::vector<Basket> orders;
  for (int i = 0; i < 60; ++i) {
    std::vector<BasketItem> items;
    for (int l = 0; l < 3; ++l) {
      const auto sku = "SKU-" + std::to_string(random() % 8);
      items.push_back({sku, sku + (i < 30 ? " old name" : " new name")});
    }
    orders.push_back(make_basket("o" + std::to_string(i), "C" + std::to_string(i % 5),
                                 static_cast<std::int64_t>(random() % 400) * kDay, std::move(items)));
  }
  auto fold_in = [&](std::vector<std::size_t> sequence) {
    MemoryCountStore store;
    CoPurchaseFold fold(store);
    for (auto i : sequence) {
      fold.count(orders[i]);
      if (i % 7 == 0) fold.retract(orders[i].order_id);
    }
    return store;
  };
  std::vector<std::size_t> sequence(orders.size());
  for (std::size_t i = 0; i < sequence.size(); ++i) sequence[i] = i;
  const auto first = fold_in(sequence);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(sequence.begin(), sequence.end(), random);
    const auto other = fold_in(sequence);
    for (int s = 0; s < 8; ++s) {
      const auto sku = "SKU-" + std::to_string(s);
      const auto a = first.item(sku).value_or(ItemStats{});
      const auto b = other.item(sku).value_or(ItemStats{});
      EXPECT_EQ(a.orders, b.orders) << sku;
      EXPECT_EQ(a.popularity, b.popularity) << sku;
      EXPECT_EQ(a.name, b.name) << sku;
      EXPECT_EQ(a.name_at_us, b.name_at_us) << sku;
    }
    EXPECT_EQ(first.totals().latest_us, other.totals().latest_us);
    EXPECT_EQ(first.totals().generation, other.totals().generation);
  }
}

TEST(RecsCounts, PairsOfAHugeBasketAreBounded) {
  MemoryCountStore store;
  FoldOptions options;
  options.max_pair_items = 3;
  CoPurchaseFold fold(store, options);
  fold.count(basket("big", "ada", 0, {"A", "B", "C", "D", "E"}));
  EXPECT_EQ(store.item("E")->orders, 1);
  EXPECT_EQ(store.pairs_of("A").size(), 2u);  // B and C: the first three SKUs only
  EXPECT_TRUE(store.pairs_of("E").empty());
  EXPECT_TRUE(fold.retract("big"));
  EXPECT_TRUE(store.pairs_of("A").empty());
}

}  // namespace
}  // namespace orderline::recommendations
