// The incremental fold against a batch recount: whatever order orders are placed, cancelled,
// expired, returned or repeated in, the counts equal a fresh count of the orders still live.
#include <gtest/gtest.h>

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

void expect_same_counts(const MemoryCountStore& incremental, const MemoryCountStore& batch,
                        const std::set<std::string>& skus, const std::set<std::string>& customers) {
  EXPECT_EQ(incremental.totals().live_orders, batch.totals().live_orders);
  for (const auto& sku : skus) {
    const auto a = incremental.item(sku).value_or(ItemStats{});
    const auto b = batch.item(sku).value_or(ItemStats{});
    EXPECT_EQ(a.orders, b.orders) << sku;
    const auto now = batch.totals().latest_us;
    EXPECT_NEAR(a.popularity.value_at(now, FoldOptions{}.half_life_us),
                b.popularity.value_at(now, FoldOptions{}.half_life_us), 1e-6)
        << sku;
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
  EXPECT_NEAR(store.item("MUG")->popularity.value_at(kDay, FoldOptions{}.half_life_us), 1.0, 1e-9);
}

TEST(RecsCounts, PopularityHalvesEveryHalfLifeOfBusinessTime) {
  DecayedScore score;
  const double half_life = 30.0 * kDay;
  score.add(0, half_life);
  score.add(30 * kDay, half_life);
  EXPECT_NEAR(score.value_at(30 * kDay, half_life), 1.5, 1e-12);
  EXPECT_NEAR(score.value_at(60 * kDay, half_life), 0.75, 1e-12);
  score.remove(0, half_life);
  EXPECT_NEAR(score.value_at(30 * kDay, half_life), 1.0, 1e-12);
  // Ten years of history with a one-day half-life neither overflows nor loses the sum.
  DecayedScore long_history;
  for (int d = 0; d < 3650; ++d) long_history.add(d * kDay, kDay);
  EXPECT_NEAR(long_history.value_at(3649 * kDay, kDay), 2.0, 1e-9);
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
