#pragma once
// `orderctl recs evaluate`: the offline evaluation of recommendations on a purchase history
// (the Superstore sample), with a time split.
//
// Train: every order dated before the split (2017-01-01). Test: the orders from the split to
// test_end (2018-01-01, past the file's end); --split 2016-01-01 --test-end 2017-01-01 is the
// validation split the defaults were chosen on, without looking at 2017.
// Evaluated customers: those with at least one training order and at least one relevant item.
// Relevant items of a customer: the items they bought in the test period, minus every item
// they bought in training (recommenders never offer what a customer already bought, so those
// could never be hit). Each model ranks items the customer did not buy in training; the top k
// are scored (ranking_metrics.h). Coverage: distinct items recommended to anyone / items in
// the whole file. An item is a product, or (level sub_category) a product's sub-category.
//
// Models: popularity (orders in training), decayed popularity (the projection's fallback
// alone), item-to-item cosine and Jaccard (the projection's model: the training orders go
// through the same CoPurchaseFold and Recommender), implicit ALS (implicit_als.h).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cli/implicit_als.h"
#include "cli/superstore_csv.h"
#include "projections/recommendations/ranking_metrics.h"

namespace orderline::cli {

enum class ItemLevel { product, sub_category };

struct EvaluationOptions {
  std::chrono::sys_days split{std::chrono::year{2017} / 1 / 1};
  std::chrono::sys_days test_end{std::chrono::year{2018} / 1 / 1};  // test: [split, test_end)
  std::size_t k = 10;
  std::size_t neighbours = 50;  // K of the item-to-item model
  double half_life_days = 30;   // of decayed popularity
  double popularity_weight = 0.5;  // RecommenderOptions::popularity_weight of our model
  AlsOptions als;
};

struct ModelResult {
  std::string level;  // "product" | "sub_category"
  std::string model;
  std::size_t users = 0;
  recommendations::RankingScores scores;
  double coverage = 0;
};

std::vector<ModelResult> evaluate_recommendations(const std::vector<SuperstoreLine>& lines, ItemLevel level,
                                                  const EvaluationOptions& options);

// A Markdown table of the results, one row per (level, model).
std::string results_table(const std::vector<ModelResult>& results, std::size_t k);

}  // namespace orderline::cli
