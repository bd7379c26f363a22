#pragma once
// What `orderctl recs evaluate` trains and scores on (recs_evaluation.h says how): the orders
// of the Superstore file at one level (product or sub-category), cut by a time split into
// training orders and, per evaluated customer, the items to find.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cli/superstore_csv.h"
#include "projections/recommendations/ranking_metrics.h"

namespace orderline::cli {

enum class ItemLevel { product, sub_category };

namespace recs {

struct Order {
  std::string customer_id;
  std::chrono::sys_days date;
  std::map<std::string, std::string> items;  // item -> name
};

// Everything a model is trained and scored on: the orders and what they mean at this level.
struct History {
  std::map<std::string, Order> orders;
  std::map<std::string, std::string> sub_category;  // item -> its sub-category (itself at that level)
};

struct Split {
  std::vector<std::pair<std::string, const Order*>> train_orders;      // (order id, order)
  std::map<std::string, std::set<std::string>> train_items;            // customer -> items
  std::map<std::string, std::unordered_set<std::string>> relevant;     // evaluated customers only
  std::size_t catalogue = 0;                                           // items in the whole file
};

History history_of(const std::vector<SuperstoreLine>& lines, ItemLevel level);
// Train: orders before `at`; test: [at, end). Relevant: a customer's test items not bought in
// training; customers without training orders or relevant items are not evaluated.
Split split_of(const std::map<std::string, Order>& orders, std::chrono::sys_days at, std::chrono::sys_days end);

// recommend(customer, history) -> ranked items.
using Recommend = std::function<std::vector<std::string>(const std::string&, const std::vector<std::string>&)>;

// Every evaluated customer in the same order, so two summaries can be compared user by user.
recommendations::RankingSummary score(const Split& split, std::size_t k, const Recommend& recommend);

}  // namespace recs
}  // namespace orderline::cli
