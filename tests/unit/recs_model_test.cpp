// Similarity, recommendations with their reasons, and the ranking metrics, on cases small
// enough to work out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "projections/recommendations/co_purchase_fold.h"
#include "projections/recommendations/memory_count_store.h"
#include "projections/recommendations/ranking_metrics.h"
#include "projections/recommendations/recommender.h"

namespace orderline::recommendations {
namespace {

constexpr std::int64_t kDay = 24LL * 3600 * 1000 * 1000;
constexpr std::int64_t kWeek = DecayedCounts::kWeekUs;  // popularity counts orders by week

void place(CoPurchaseFold& fold, const std::string& order, const std::string& customer, std::int64_t at_us,
           std::vector<std::string> skus) {
  std::vector<BasketItem> items;
  for (auto& sku : skus) items.push_back({sku, sku + " name"});
  ASSERT_TRUE(fold.count(make_basket(order, customer, at_us, std::move(items))));
}

// MUG is in every order: raw co-counts would rank it first for everything; cosine does not.
//   o1 {COFFEE, FILTER}  o2 {COFFEE, FILTER, MUG}  o3 {COFFEE, MUG}  o4 {TEA, MUG}  o5 {MUG}  o6 {MUG}
// placed in weeks 1 to 6.
class RecsModel : public ::testing::Test {
 protected:
  void SetUp() override {
    place(fold_, "o1", "ada", 1 * kWeek, {"COFFEE", "FILTER"});
    place(fold_, "o2", "bob", 2 * kWeek, {"COFFEE", "FILTER", "MUG"});
    place(fold_, "o3", "cyd", 3 * kWeek, {"COFFEE", "MUG"});
    place(fold_, "o4", "dan", 4 * kWeek, {"TEA", "MUG"});
    place(fold_, "o5", "eve", 5 * kWeek, {"MUG"});
    place(fold_, "o6", "fay", 6 * kWeek, {"MUG"});
  }
  MemoryCountStore store_;
  CoPurchaseFold fold_{store_};
};

TEST_F(RecsModel, CosineCorrectsForPopularity) {
  Recommender recommender(store_);
  auto neighbours = recommender.neighbours("COFFEE");
  ASSERT_EQ(neighbours.size(), 2u);
  // c(COFFEE)=3, c(FILTER)=2, c(MUG)=5, c(COFFEE,FILTER)=2, c(COFFEE,MUG)=2.
  EXPECT_EQ(neighbours[0].sku, "FILTER");
  EXPECT_NEAR(neighbours[0].score, 2 / std::sqrt(3.0 * 2), 1e-12);
  EXPECT_EQ(neighbours[1].sku, "MUG");
  EXPECT_NEAR(neighbours[1].score, 2 / std::sqrt(3.0 * 5), 1e-12);

  RecommenderOptions jaccard;
  jaccard.similarity = Similarity::jaccard;
  auto j = Recommender(store_, jaccard).neighbours("COFFEE");
  EXPECT_NEAR(j[0].score, 2.0 / (3 + 2 - 2), 1e-12);
  EXPECT_NEAR(j[1].score, 2.0 / (3 + 5 - 2), 1e-12);
}

TEST_F(RecsModel, ACustomerGetsNeighboursOfTheirItemsWithReasonsAndNothingTheyBought) {
  RecommenderOptions similarity_only;
  similarity_only.popularity_weight = 0;
  Recommender recommender(store_, similarity_only);
  // ada bought COFFEE and FILTER: MUG is their neighbour; TEA only by popularity.
  auto recs = recommender.for_customer("ada", 3);
  ASSERT_EQ(recs.size(), 2u);  // only MUG and TEA are left to recommend
  EXPECT_EQ(recs[0].sku, "MUG");
  EXPECT_EQ(recs[0].reason, Recommendation::Reason::because_you_bought);
  EXPECT_EQ(reason_text(recs[0]), "because you bought COFFEE name");  // 2/sqrt(15) > 1/sqrt(10)
  EXPECT_NEAR(recs[0].score, 2 / std::sqrt(15.0) + 1 / std::sqrt(10.0), 1e-12);
  EXPECT_EQ(recs[1].sku, "TEA");
  EXPECT_EQ(reason_text(recs[1]), "popular");
}

TEST_F(RecsModel, PopularityWeighsInAsAPrior) {
  // eve bought MUG only: its neighbours are COFFEE 2/sqrt(15), TEA 1/sqrt(5), FILTER 1/sqrt(10).
  RecommenderOptions options;
  options.popularity_weight = 0;
  auto similarity_only = Recommender(store_, options).for_customer("eve", 3);
  ASSERT_EQ(similarity_only.size(), 3u);
  EXPECT_EQ(similarity_only[0].sku, "COFFEE");  // 0.516
  EXPECT_EQ(similarity_only[1].sku, "TEA");     // 0.447
  EXPECT_EQ(similarity_only[2].sku, "FILTER");  // 0.316
  // With weight 1 popularity (relative to MUG's) decides between close similarities: FILTER
  // (two orders, weeks 1-2) passes TEA (one order, week 4) once the prior counts. A ten-year
  // half-life makes popularity nearly the order counts (FILTER 2/5 of MUG's, TEA 1/5).
  options.popularity_weight = 1;
  options.half_life_us = 3650 * kDay;
  const auto popularity = Recommender(store_, options).popular();
  const double top = popularity[0].score;
  double tea = 0, filter = 0;
  for (const auto& p : popularity) {
    if (p.sku == "TEA") tea = p.score / top;
    if (p.sku == "FILTER") filter = p.score / top;
  }
  auto blended = Recommender(store_, options).for_customer("eve", 3);
  ASSERT_EQ(blended.size(), 3u);
  EXPECT_EQ(blended[0].sku, "COFFEE");
  EXPECT_EQ(blended[1].sku, "FILTER");
  EXPECT_NEAR(blended[1].score, 1 / std::sqrt(10.0) + filter, 1e-12);
  EXPECT_EQ(blended[2].sku, "TEA");
  EXPECT_NEAR(blended[2].score, 1 / std::sqrt(5.0) + tea, 1e-12);
  EXPECT_EQ(reason_text(blended[2]), "because you bought MUG name");
}

TEST_F(RecsModel, ANewCustomerGetsDecayedPopularity) {
  Recommender recommender(store_);
  auto recs = recommender.for_customer("someone-new", 2);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].sku, "MUG");
  // COFFEE (weeks 1..3) and FILTER (1, 2) beat TEA (week 4) only while the decay is slow
  // enough: with a 30-day half-life COFFEE's three orders win.
  EXPECT_EQ(recs[1].sku, "COFFEE");
  for (const auto& r : recs) EXPECT_EQ(r.reason, Recommendation::Reason::popular);

  RecommenderOptions fast;
  fast.half_life_us = 2 * kDay;  // the newest orders dominate: o6 {MUG}, then o4 {TEA}
  auto fresh = Recommender(store_, fast).popular();
  EXPECT_EQ(fresh[0].sku, "MUG");
  EXPECT_EQ(fresh[1].sku, "TEA");
}

TEST_F(RecsModel, RelatedFollowsRetractionsAndTheCacheSeesThem) {
  ModelCache cache(2);
  Recommender recommender(store_, {}, &cache);
  auto before = recommender.related("FILTER", 1);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].sku, "COFFEE");
  EXPECT_EQ(reason_text(before[0]), "bought together with FILTER name");
  ASSERT_TRUE(fold_.retract("o1"));
  ASSERT_TRUE(fold_.retract("o2"));
  auto after = recommender.related("FILTER", 1);  // FILTER is in no live order any more
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].reason, Recommendation::Reason::popular);
  EXPECT_LE(cache.size(), 2u);
}

TEST(RecsMetrics, MatchHandComputedValues) {
  // list [a, x, b], relevant {a, b, c}, k = 3 (ranking_metrics.h's worked example).
  auto s = score_ranking({"a", "x", "b"}, {"a", "b", "c"}, 3);
  EXPECT_NEAR(s.precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.ndcg, (1 + 0.5) / (1 + 1 / std::log2(3.0) + 0.5), 1e-12);
  EXPECT_NEAR(s.average_precision, (1 + 2.0 / 3) / 3, 1e-12);

  // k = 10 with one relevant item found at rank 2: precision counts the k, not the list.
  auto one = score_ranking({"x", "a"}, {"a"}, 10);
  EXPECT_NEAR(one.precision, 0.1, 1e-12);
  EXPECT_NEAR(one.recall, 1.0, 1e-12);
  EXPECT_NEAR(one.ndcg, 1 / std::log2(3.0), 1e-12);
  EXPECT_NEAR(one.average_precision, 0.5, 1e-12);

  // Items past k do not count.
  auto late = score_ranking({"x", "y", "a"}, {"a"}, 2);
  EXPECT_EQ(late.recall, 0);
  EXPECT_EQ(late.ndcg, 0);

  RankingSummary summary;
  summary.add({"a", "x", "b"}, {"a", "b", "c"}, 3);
  summary.add({"x", "y", "z"}, {"a"}, 3);
  EXPECT_EQ(summary.users(), 2u);
  EXPECT_NEAR(summary.mean().recall, (2.0 / 3 + 0) / 2, 1e-12);
  EXPECT_NEAR(summary.coverage(10), 5.0 / 10, 1e-12);  // a, x, b, y, z
}

TEST(RecsMetrics, PairedDifferenceWithItsConfidenceInterval) {
  RankingSummary a, b;
  a.add({"a"}, {"a"}, 1);
  a.add({"a"}, {"a", "b"}, 1);
  b.add({"x"}, {"a"}, 1);
  b.add({"x"}, {"a", "b"}, 1);
  // b hits nothing: a's recall minus b's is 1 and 1/2, mean 0.75, sd sqrt(0.125).
  auto d = paired_difference(a, b, &RankingScores::recall);
  EXPECT_NEAR(d.mean, 0.75, 1e-12);
  EXPECT_NEAR(d.half_width, 1.96 * std::sqrt(0.125) / std::sqrt(2.0), 1e-12);
  // Against itself: no difference, no doubt.
  auto same = paired_difference(a, a, &RankingScores::ndcg);
  EXPECT_EQ(same.mean, 0);
  EXPECT_EQ(same.half_width, 0);
  EXPECT_EQ(paired_difference(RankingSummary{}, a, &RankingScores::recall).mean, 0);
}

}  // namespace
}  // namespace orderline::recommendations
