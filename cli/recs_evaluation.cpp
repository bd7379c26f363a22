#include "cli/recs_evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "projections/recommendations/co_purchase_fold.h"
#include "projections/recommendations/memory_count_store.h"
#include "projections/recommendations/recommender.h"

namespace orderline::cli {
namespace {

using namespace recommendations;

struct Order {
  std::string customer_id;
  std::chrono::sys_days date;
  std::map<std::string, std::string> items;  // item -> name
};

struct Split {
  std::vector<std::pair<std::string, const Order*>> train_orders;      // (order id, order)
  std::map<std::string, std::set<std::string>> train_items;            // customer -> items
  std::map<std::string, std::unordered_set<std::string>> relevant;     // evaluated customers only
  std::size_t catalogue = 0;                                           // items in the whole file
};

std::map<std::string, Order> orders_of(const std::vector<SuperstoreLine>& lines, ItemLevel level) {
  std::map<std::string, Order> orders;
  for (const auto& line : lines) {
    auto& order = orders[line.order_id];
    order.customer_id = line.customer_id;
    order.date = line.order_date;
    if (level == ItemLevel::product) {
      order.items.emplace(line.product_id, line.product_name);
    } else {
      order.items.emplace(line.sub_category, line.sub_category);
    }
  }
  return orders;
}

Split split_of(const std::map<std::string, Order>& orders, std::chrono::sys_days at, std::chrono::sys_days end) {
  Split split;
  std::set<std::string> catalogue;
  std::map<std::string, std::set<std::string>> test_items;
  for (const auto& [id, order] : orders) {
    for (const auto& [item, name] : order.items) catalogue.insert(item);
    if (order.date < at) {
      split.train_orders.emplace_back(id, &order);
      for (const auto& [item, name] : order.items) split.train_items[order.customer_id].insert(item);
    } else if (order.date < end) {
      for (const auto& [item, name] : order.items) test_items[order.customer_id].insert(item);
    }
  }
  for (const auto& [customer, items] : test_items) {
    auto trained = split.train_items.find(customer);
    if (trained == split.train_items.end()) continue;
    std::unordered_set<std::string> relevant;
    for (const auto& item : items) {
      if (!trained->second.count(item)) relevant.insert(item);
    }
    if (!relevant.empty()) split.relevant.emplace(customer, std::move(relevant));
  }
  split.catalogue = catalogue.size();
  return split;
}

std::int64_t micros(std::chrono::sys_days day) {
  return std::chrono::duration_cast<std::chrono::microseconds>(day.time_since_epoch()).count();
}

template <typename Recommend>
ModelResult score_model(const Split& split, const std::string& level, const std::string& model, std::size_t k,
                        Recommend&& recommend) {
  RankingSummary summary;
  for (const auto& [customer, relevant] : split.relevant) {
    const auto& history = split.train_items.at(customer);
    summary.add(recommend(customer, std::vector<std::string>(history.begin(), history.end())), relevant, k);
  }
  return ModelResult{level, model, summary.users(), summary.mean(), summary.coverage(split.catalogue)};
}

std::vector<std::string> skus_of(const std::vector<Recommendation>& recs) {
  std::vector<std::string> out;
  for (const auto& r : recs) out.push_back(r.sku);
  return out;
}

// The top k of a score per item, without the customer's history (ties by item order).
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

ModelResult evaluate_als(const Split& split, const std::string& level, const EvaluationOptions& options) {
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
  const ImplicitAls als(user_index.size(), items.size(), interactions, options.als);
  return score_model(split, level, "implicit ALS", options.k, [&](const std::string& customer,
                                                                  const std::vector<std::string>& history) {
    const Eigen::VectorXd scores = als.scores(user_index.at(customer));
    std::vector<std::pair<std::string, double>> scored;
    for (std::size_t i = 0; i < items.size(); ++i) scored.emplace_back(items[i], scores(static_cast<Eigen::Index>(i)));
    return top_k(scored, history, options.k);
  });
}

}  // namespace

std::vector<ModelResult> evaluate_recommendations(const std::vector<SuperstoreLine>& lines, ItemLevel level,
                                                  const EvaluationOptions& options) {
  const std::string level_name = level == ItemLevel::product ? "product" : "sub_category";
  const auto orders = orders_of(lines, level);
  const auto split = split_of(orders, options.split, options.test_end);

  // The training history through the projection's own fold.
  const double half_life_us = options.half_life_days * 24 * 3600 * 1e6;
  MemoryCountStore counts;
  CoPurchaseFold fold(counts);
  for (const auto& [id, order] : split.train_orders) {
    std::vector<BasketItem> items;
    for (const auto& [item, name] : order->items) items.push_back({item, name});
    fold.count(make_basket(id, order->customer_id, micros(order->date), std::move(items)));
  }

  std::vector<ModelResult> results;
  std::vector<std::pair<std::string, double>> order_counts;
  counts.for_each_item([&](const std::string& item, const ItemStats& stats) {
    order_counts.emplace_back(item, static_cast<double>(stats.orders));
  });
  results.push_back(score_model(split, level_name, "popularity", options.k,
                                [&](const std::string&, const std::vector<std::string>& history) {
                                  return top_k(order_counts, history, options.k);
                                }));

  auto model = [&](const std::string& name, Similarity similarity, std::size_t neighbours) {
    RecommenderOptions recommender_options;
    recommender_options.popularity_weight = options.popularity_weight;
    recommender_options.similarity = similarity;
    recommender_options.neighbours = neighbours;
    recommender_options.half_life_us = half_life_us;
    recommender_options.popular_ranking = split.catalogue;
    ModelCache cache(split.catalogue);
    const Recommender recommender(counts, recommender_options, &cache);
    results.push_back(score_model(split, level_name, name, options.k,
                                  [&](const std::string&, const std::vector<std::string>& history) {
                                    return skus_of(recommender.for_history(history, options.k));
                                  }));
  };
  model(fmt::format("decayed popularity ({} d half-life)", options.half_life_days), Similarity::cosine, 0);
  model(fmt::format("item-to-item cosine + {} popularity (ours)", options.popularity_weight), Similarity::cosine,
        options.neighbours);
  model(fmt::format("item-to-item Jaccard + {} popularity", options.popularity_weight), Similarity::jaccard,
        options.neighbours);
  results.push_back(evaluate_als(split, level_name, options));
  return results;
}

std::string results_table(const std::vector<ModelResult>& results, std::size_t k) {
  std::string out = fmt::format("| level | model | users | precision@{0} | recall@{0} | NDCG@{0} | MAP@{0} | coverage |\n", k);
  out += "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    out += fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.3f} |\n", r.level, r.model, r.users,
                       r.scores.precision, r.scores.recall, r.scores.ndcg, r.scores.average_precision, r.coverage);
  }
  return out;
}

}  // namespace orderline::cli
