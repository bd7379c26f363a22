#pragma once
// The models `orderctl recs evaluate` compares (recs_evaluation.h), each trained on a split's
// training orders and returned as a Recommend: customer and history -> ranked items, never an
// item of the history.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/implicit_als.h"
#include "cli/recs_split.h"
#include "projections/recommendations/memory_count_store.h"
#include "projections/recommendations/recommender.h"

namespace orderline::cli::recs {

// The top k of a score per item, without the customer's history (ties by item order).
std::vector<std::string> top_k(const std::vector<std::pair<std::string, double>>& scored,
                               const std::vector<std::string>& history, std::size_t k);

// Implicit ALS trained on the split's training orders (trained when called: the factors are
// the model).
Recommend als_model(const Split& split, const AlsOptions& options, std::size_t k);

// The training period folded as the projection folds it: one basket per order, or (customer
// histories) one basket per customer holding everything they bought in training, dated by
// their last training order. Pairs are counted among every item of a history.
std::unique_ptr<recommendations::MemoryCountStore> fold_training(const Split& split, bool per_customer);

// Our recommender over folded counts (which must outlive it), with its options (similarity,
// K, weight, half-life); the popularity ranking covers the whole catalogue.
Recommend recommender_model(const recommendations::CountReader& counts,
                            recommendations::RecommenderOptions recommender_options, std::size_t catalogue,
                            std::size_t k);

// Popularity (orders in training, relative to the top item's) plus weight x the share of the
// customer's training items in the candidate's sub-category: a customer who buys binders is
// shown popular binders first. `history` must outlive the model.
Recommend sub_category_model(const Split& split, const History& history, double weight, std::size_t k);

// Popularity (orders in training, relative to the top item's) plus weight x the share of the
// customer's `neighbours` most similar customers (cosine over their sets of training items,
// each weighed by its similarity) who bought the candidate: customer-to-customer rather than
// item-to-item, so a customer with one rare item still finds neighbours through their others.
// Weight 0 is popularity. `split` must outlive the model.
Recommend user_knn_model(const Split& split, std::size_t neighbours, double weight, std::size_t k);

}  // namespace orderline::cli::recs
