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
// alone), our item-to-item model as the projection serves it by default (the training orders
// go through the same CoPurchaseFold and Recommender), then the variants tried to beat
// popularity, each with its weights chosen on a validation split carved from the training
// period only (train before split - validation_months, validate on the months up to split;
// the test period is never looked at): item-to-item cosine and Jaccard over orders, cosine
// over each customer's whole history (all their training orders as one basket), a
// sub-category affinity prior (products only), popularity plus what the customer's nearest
// customers bought (user_knn_model), and implicit ALS (implicit_als.h).
// Rule for the choice: the highest validation NDCG@k, then recall@k, then the first in the grid.
//
// Every model is compared with popularity user by user: the mean difference in NDCG@k and
// recall@k with a 95 % confidence interval (ranking_metrics.h); an interval holding 0 is noise.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cli/implicit_als.h"
#include "cli/recs_split.h"  // ItemLevel
#include "cli/superstore_csv.h"
#include "projections/recommendations/ranking_metrics.h"

namespace orderline::cli {

struct EvaluationOptions {
  std::chrono::sys_days split{std::chrono::year{2017} / 1 / 1};
  std::chrono::sys_days test_end{std::chrono::year{2018} / 1 / 1};  // test: [split, test_end)
  std::size_t k = 10;
  std::size_t neighbours = 50;  // K of the item-to-item model
  double half_life_days = 30;   // of decayed popularity
  double popularity_weight = 4;    // RecommenderOptions::popularity_weight of our model as served
  int validation_months = 6;       // the end of the training period the variants are tuned on
  AlsOptions als;
};

struct ModelResult {
  std::string level;  // "product" | "sub_category"
  std::string model;
  std::size_t users = 0;
  recommendations::RankingScores scores;
  double coverage = 0;
  recommendations::PairedDifference ndcg_vs_popularity;  // this model's minus popularity's, per user
  recommendations::PairedDifference recall_vs_popularity;
};

std::vector<ModelResult> evaluate_recommendations(const std::vector<SuperstoreLine>& lines, ItemLevel level,
                                                  const EvaluationOptions& options);

// A Markdown table of the results, one row per (level, model).
std::string results_table(const std::vector<ModelResult>& results, std::size_t k);

}  // namespace orderline::cli
