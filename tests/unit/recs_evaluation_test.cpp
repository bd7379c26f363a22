// `orderctl recs evaluate` on a purchase history with a signal popularity cannot see: every
// customer buys in one sub-category only, and there are more binder buyers than chair buyers,
// so popularity offers chairs' buyers binders. The variants tuned on the validation months
// must find the signal (a sub-category weight above 0, a customer's nearest customers) and
// beat popularity beyond noise, and
// popularity compared with itself differs by nothing.
#include <gtest/gtest.h>

#include <random>

#include "cli/recs_evaluation.h"

namespace orderline::cli {
namespace {

std::vector<SuperstoreLine> one_sub_category_per_customer() {
  std::mt19937 random(9);
  std::vector<SuperstoreLine> lines;
  int order = 0;
  for (int c = 0; c < 200; ++c) {
    const bool binders = c < 120;
    const std::string sub_category = binders ? "Binders" : "Chairs";
    for (int year = 2014; year <= 2017; ++year) {
      for (unsigned month : {3u, 9u}) {
        SuperstoreLine line;
        line.order_id = "CA-" + std::to_string(++order);
        line.order_date = std::chrono::sys_days(std::chrono::year{year} / month / 10);
        line.ship_date = line.order_date;
        line.customer_id = "C" + std::to_string(c);
        line.category = binders ? "Office Supplies" : "Furniture";
        line.sub_category = sub_category;
        line.product_id = sub_category + "-" + std::to_string(random() % 20);
        line.product_name = line.product_id;
        line.quantity = 1;
        lines.push_back(line);
      }
    }
  }
  return lines;
}

const ModelResult& row(const std::vector<ModelResult>& results, const std::string& starts_with) {
  for (const auto& r : results) {
    if (r.model.rfind(starts_with, 0) == 0) return r;
  }
  throw std::runtime_error("no row " + starts_with);
}

const ModelResult& row_naming(const std::vector<ModelResult>& results, const std::string& part) {
  for (const auto& r : results) {
    if (r.model.find(part) != std::string::npos) return r;
  }
  throw std::runtime_error("no row naming " + part);
}

bool beats_popularity(const recommendations::PairedDifference& d) { return d.mean - d.half_width > 0; }

TEST(RecsEvaluation, TunedVariantsFindASignalPopularityMissesAndBeatItBeyondNoise) {
  EvaluationOptions options;
  options.als.iterations = 2;  // ALS is not under test here
  const auto results = evaluate_recommendations(one_sub_category_per_customer(), ItemLevel::product, options);

  const auto& popularity = row(results, "popularity");
  EXPECT_EQ(popularity.model, "popularity");
  EXPECT_GT(popularity.users, 150u);
  EXPECT_EQ(popularity.ndcg_vs_popularity.mean, 0);
  EXPECT_EQ(popularity.recall_vs_popularity.half_width, 0);

  // Chosen on the validation months (2016-07..12), scored on 2017.
  const auto& affinity = row_naming(results, "sub-category affinity");
  EXPECT_EQ(affinity.model.find("popularity + 0 sub-category"), std::string::npos) << affinity.model;
  EXPECT_TRUE(beats_popularity(affinity.ndcg_vs_popularity)) << affinity.model;
  EXPECT_TRUE(beats_popularity(affinity.recall_vs_popularity)) << affinity.model;
  EXPECT_GT(affinity.scores.recall, popularity.scores.recall);

  // Customer histories hold the same signal: chairs are bought with chairs.
  const auto& histories = row(results, "item-to-item cosine over customer histories");
  EXPECT_TRUE(beats_popularity(histories.ndcg_vs_popularity)) << histories.model;
  EXPECT_TRUE(beats_popularity(histories.recall_vs_popularity)) << histories.model;

  // And so do the customer's nearest customers: chair buyers resemble chair buyers.
  const auto& neighbours = row_naming(results, "nearest customers");
  EXPECT_TRUE(beats_popularity(neighbours.ndcg_vs_popularity)) << neighbours.model;
  EXPECT_TRUE(beats_popularity(neighbours.recall_vs_popularity)) << neighbours.model;

  const auto table = results_table(results, options.k);
  EXPECT_NE(table.find("| product | popularity | "), std::string::npos) << table;
  EXPECT_NE(table.find("+0.0000 ± 0.0000"), std::string::npos) << table;
}

TEST(RecsEvaluation, ALevelWhereNoCustomerHasAnythingNewToFindScoresNobody) {
  // Each customer's one sub-category is bought in training already: nothing is relevant in
  // 2017, so no customer is evaluated, and the means are 0, not 0 / 0.
  EvaluationOptions options;
  options.als.iterations = 2;
  const auto results = evaluate_recommendations(one_sub_category_per_customer(), ItemLevel::sub_category, options);
  ASSERT_FALSE(results.empty());
  for (const auto& r : results) {
    EXPECT_EQ(r.level, "sub_category");
    EXPECT_EQ(r.users, 0u) << r.model;
    EXPECT_EQ(r.scores.ndcg, 0) << r.model;
    EXPECT_EQ(r.ndcg_vs_popularity.mean, 0) << r.model;
    EXPECT_EQ(r.model.find("sub-category affinity"), std::string::npos);
  }
}

}  // namespace
}  // namespace orderline::cli
