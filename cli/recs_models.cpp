#include "cli/recs_models.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "projections/recommendations/co_purchase_fold.h"

namespace orderline::cli::recs {
namespace {

using namespace recommendations;

std::int64_t micros(std::chrono::sys_days day) {
  return std::chrono::duration_cast<std::chrono::microseconds>(day.time_since_epoch()).count();
}

std::vector<std::string> skus_of(const std::vector<Recommendation>& recs) {
  std::vector<std::string> out;
  for (const auto& r : recs) out.push_back(r.sku);
  return out;
}

// Orders holding each item in training, and the most popular item's (at least 1): the prior
// the popularity-plus models add their personal term to.
std::pair<std::map<std::string, double>, double> training_popularity(const Split& split) {
  std::map<std::string, double> orders;
  for (const auto& [id, order] : split.train_orders) {
    for (const auto& [item, name] : order->items) orders[item] += 1;
  }
  double top = 1;
  for (const auto& [item, count] : orders) top = std::max(top, count);
  return {std::move(orders), top};
}

}  // namespace

std::vector<std::string> top_k(const std::vector<std::pair<std::string, double>>& scored,
                               const std::vector<std::string>& history, std::size_t k) {
  const std::unordered_set<std::string> bought(history.begin(), history.end());
  std::vector<std::pair<std::string, double>> candidates;
  for (const auto& s : scored) {
    if (!bought.count(s.first)) candidates.push_back(s);
  }
  const std::size_t keep = std::min(k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                    [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < keep; ++i) out.push_back(candidates[i].first);
  return out;
}

Recommend als_model(const Split& split, const AlsOptions& options, std::size_t k) {
  std::unordered_map<std::string, std::size_t> user_index, item_index;
  std::vector<std::string> items;
  std::map<std::pair<std::size_t, std::size_t>, double> counts;
  for (const auto& [id, order] : split.train_orders) {
    const auto user = user_index.emplace(order->customer_id, user_index.size()).first->second;
    for (const auto& [item, name] : order->items) {
      auto [it, added] = item_index.emplace(item, item_index.size());
      if (added) items.push_back(item);
      counts[{user, it->second}] += 1;
    }
  }
  std::vector<Interaction> interactions;
  for (const auto& [key, count] : counts) interactions.push_back({key.first, key.second, count});
  auto als = std::make_shared<const ImplicitAls>(user_index.size(), items.size(), interactions, options);
  return [als, user_index = std::move(user_index), items = std::move(items), k](
             const std::string& customer, const std::vector<std::string>& history) {
    const Eigen::VectorXd scores = als->scores(user_index.at(customer));
    std::vector<std::pair<std::string, double>> scored;
    for (std::size_t i = 0; i < items.size(); ++i) scored.emplace_back(items[i], scores(static_cast<Eigen::Index>(i)));
    return top_k(scored, history, k);
  };
}

std::unique_ptr<recommendations::MemoryCountStore> fold_training(const Split& split, bool per_customer) {
  auto counts = std::make_unique<MemoryCountStore>();
  FoldOptions fold_options;
  if (!per_customer) {
    CoPurchaseFold fold(*counts, fold_options);
    for (const auto& [id, order] : split.train_orders) {
      std::vector<BasketItem> items;
      for (const auto& [item, name] : order->items) items.push_back({item, name});
      fold.count(make_basket(id, order->customer_id, micros(order->date), std::move(items)));
    }
    return counts;
  }
  std::map<std::string, std::pair<std::chrono::sys_days, std::map<std::string, std::string>>> histories;
  for (const auto& [id, order] : split.train_orders) {
    auto& history = histories[order->customer_id];
    history.first = std::max(history.first, order->date);
    history.second.insert(order->items.begin(), order->items.end());
  }
  fold_options.max_pair_items = 100000;
  CoPurchaseFold fold(*counts, fold_options);
  for (const auto& [customer, history] : histories) {
    std::vector<BasketItem> items;
    for (const auto& [item, name] : history.second) items.push_back({item, name});
    fold.count(make_basket("history-" + customer, customer, micros(history.first), std::move(items)));
  }
  return counts;
}

Recommend recommender_model(const recommendations::CountReader& counts,
                            recommendations::RecommenderOptions recommender_options, std::size_t catalogue,
                            std::size_t k) {
  recommender_options.popular_ranking = catalogue;
  auto cache = std::make_shared<ModelCache>(catalogue);
  auto recommender = std::make_shared<const Recommender>(counts, recommender_options, cache.get());
  return [cache, recommender, k](const std::string&, const std::vector<std::string>& history) {
    return skus_of(recommender->for_history(history, k));
  };
}

Recommend user_knn_model(const Split& split, std::size_t neighbours, double weight, std::size_t k) {
  auto [orders, top] = training_popularity(split);
  return [&split, orders = std::move(orders), top, neighbours, weight, k](const std::string& customer,
                                                                         const std::vector<std::string>& bought) {
    const std::set<std::string> mine(bought.begin(), bought.end());
    std::vector<std::pair<double, const std::set<std::string>*>> similar;
    for (const auto& [other, items] : split.train_items) {
      if (other == customer || items.empty() || mine.empty()) continue;
      std::size_t both = 0;
      for (const auto& item : items) both += mine.count(item);
      if (both > 0) {
        similar.emplace_back(static_cast<double>(both) / std::sqrt(static_cast<double>(mine.size() * items.size())),
                             &items);
      }
    }
    const std::size_t keep = std::min(similar.size(), neighbours);
    std::partial_sort(similar.begin(), similar.begin() + static_cast<std::ptrdiff_t>(keep), similar.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    similar.resize(keep);
    double total = 0;
    std::map<std::string, double> share;
    for (const auto& [similarity, items] : similar) {
      total += similarity;
      for (const auto& item : *items) share[item] += similarity;
    }
    std::vector<std::pair<std::string, double>> scored;
    for (const auto& [item, count] : orders) {
      auto found = share.find(item);
      const double neighbour_share = found == share.end() || total <= 0 ? 0.0 : found->second / total;
      scored.emplace_back(item, count / top + weight * neighbour_share);
    }
    return top_k(scored, bought, k);
  };
}

Recommend sub_category_model(const Split& split, const History& history, double weight, std::size_t k) {
  auto [orders, top] = training_popularity(split);
  return [&history, orders = std::move(orders), top, weight, k](const std::string&,
                                                                 const std::vector<std::string>& bought) {
    std::map<std::string, double> share;
    for (const auto& item : bought) share[history.sub_category.at(item)] += 1.0 / static_cast<double>(bought.size());
    std::vector<std::pair<std::string, double>> scored;
    for (const auto& [item, count] : orders) {
      auto found = share.find(history.sub_category.at(item));
      scored.emplace_back(item, count / top + weight * (found == share.end() ? 0.0 : found->second));
    }
    return top_k(scored, bought, k);
  };
}

}  // namespace orderline::cli::recs
