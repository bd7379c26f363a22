#include "cli/recs_evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
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

History history_of(const std::vector<SuperstoreLine>& lines, ItemLevel level) {
  History history;
  for (const auto& line : lines) {
    auto& order = history.orders[line.order_id];
    order.customer_id = line.customer_id;
    order.date = line.order_date;
    const auto& item = level == ItemLevel::product ? line.product_id : line.sub_category;
    order.items.emplace(item, level == ItemLevel::product ? line.product_name : line.sub_category);
    history.sub_category.emplace(item, line.sub_category);
  }
  return history;
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

// recommend(customer, history) -> ranked items; every evaluated customer in the same order, so
// two summaries can be compared user by user.
using Recommend = std::function<std::vector<std::string>(const std::string&, const std::vector<std::string>&)>;

RankingSummary score(const Split& split, std::size_t k, const Recommend& recommend) {
  RankingSummary summary;
  for (const auto& [customer, relevant] : split.relevant) {
    const auto& history = split.train_items.at(customer);
    summary.add(recommend(customer, std::vector<std::string>(history.begin(), history.end())), relevant, k);
  }
  return summary;
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

// Implicit ALS trained on the split's training orders (trained when called: the factors are
// the model).
Recommend als_model(const Split& split, const EvaluationOptions& options) {
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
  auto als = std::make_shared<const ImplicitAls>(user_index.size(), items.size(), interactions, options.als);
  return [als, user_index = std::move(user_index), items = std::move(items), k = options.k](
             const std::string& customer, const std::vector<std::string>& history) {
    const Eigen::VectorXd scores = als->scores(user_index.at(customer));
    std::vector<std::pair<std::string, double>> scored;
    for (std::size_t i = 0; i < items.size(); ++i) scored.emplace_back(items[i], scores(static_cast<Eigen::Index>(i)));
    return top_k(scored, history, k);
  };
}

// The training period folded as the projection folds it: one basket per order, or (customer
// histories) one basket per customer holding everything they bought in training, dated by
// their last training order. Pairs are counted among every item of a history.
std::unique_ptr<MemoryCountStore> fold_training(const Split& split, bool per_customer) {
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

// Our recommender over folded counts, with its options (similarity, K, weight, half-life).
Recommend recommender_model(const CountReader& counts, RecommenderOptions recommender_options, std::size_t catalogue,
                            std::size_t k) {
  recommender_options.popular_ranking = catalogue;
  auto cache = std::make_shared<ModelCache>(catalogue);
  auto recommender = std::make_shared<const Recommender>(counts, recommender_options, cache.get());
  return [cache, recommender, k](const std::string&, const std::vector<std::string>& history) {
    return skus_of(recommender->for_history(history, k));
  };
}

// Popularity (orders in training) plus weight x the share of the customer's training items in
// the candidate's sub-category: a customer who buys binders is shown popular binders first.
Recommend sub_category_model(const Split& split, const History& history, double weight, std::size_t k) {
  std::map<std::string, double> orders;
  for (const auto& [id, order] : split.train_orders) {
    for (const auto& [item, name] : order->items) orders[item] += 1;
  }
  double top = 1;
  for (const auto& [item, count] : orders) top = std::max(top, count);
  return [&split, &history, orders = std::move(orders), top, weight, k](const std::string&,
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

// One model tried on a split: its name (with the parameters) and how to build it.
struct Variant {
  std::string name;
  std::function<Recommend(const Split&)> build;
};

// The variant with the best validation NDCG@k (then recall@k, then the first).
const Variant& tuned(const std::vector<Variant>& grid, const Split& validation, std::size_t k) {
  const Variant* best = nullptr;
  RankingScores best_scores;
  for (const auto& variant : grid) {
    const auto scores = score(validation, k, variant.build(validation)).mean();
    if (!best || scores.ndcg > best_scores.ndcg ||
        (scores.ndcg == best_scores.ndcg && scores.recall > best_scores.recall)) {
      best = &variant;
      best_scores = scores;
    }
  }
  return *best;
}

constexpr double kDayUs = 24.0 * 3600 * 1e6;

}  // namespace

std::vector<ModelResult> evaluate_recommendations(const std::vector<SuperstoreLine>& lines, ItemLevel level,
                                                  const EvaluationOptions& options) {
  const std::string level_name = level == ItemLevel::product ? "product" : "sub_category";
  const auto history = history_of(lines, level);
  const auto test = split_of(history.orders, options.split, options.test_end);
  auto start = std::chrono::year_month_day(options.split) - std::chrono::months(options.validation_months);
  if (!start.ok()) start = start.year() / start.month() / std::chrono::last;  // 31 March - 1 month
  const auto validation_start = std::chrono::sys_days(start);
  const auto validation = split_of(history.orders, validation_start, options.split);

  // Folds are kept per (split, basket kind): every variant over them only changes query options.
  std::map<std::pair<const Split*, bool>, std::unique_ptr<MemoryCountStore>> folds;
  auto counts_of = [&](const Split& split, bool per_customer) -> const CountReader& {
    auto& counts = folds[{&split, per_customer}];
    if (!counts) counts = fold_training(split, per_customer);
    return *counts;
  };
  auto ours = [&](bool per_customer, Similarity similarity, double weight, double half_life_days) {
    return [&, per_customer, similarity, weight, half_life_days](const Split& split) {
      RecommenderOptions recommender_options;
      recommender_options.similarity = similarity;
      recommender_options.neighbours = options.neighbours;
      recommender_options.popularity_weight = weight;
      recommender_options.half_life_us = half_life_days * kDayUs;
      return recommender_model(counts_of(split, per_customer), recommender_options, split.catalogue, options.k);
    };
  };
  // The grid of the tuned variants: the popularity prior's weight and half-life (3650 days:
  // nearly plain order counts).
  auto grid = [&](const std::string& what, bool per_customer, Similarity similarity) {
    std::vector<Variant> variants;
    for (double half_life : {30.0, 365.0, 3650.0}) {
      for (double weight : {0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0}) {
        variants.push_back({fmt::format("{} + {} popularity ({} d half-life), tuned", what, weight, half_life),
                            ours(per_customer, similarity, weight, half_life)});
      }
    }
    return variants;
  };

  std::vector<std::pair<std::string, RankingSummary>> rows;
  auto run = [&](const std::string& name, const Recommend& recommend) {
    rows.emplace_back(name, score(test, options.k, recommend));
  };
  auto run_tuned = [&](const std::vector<Variant>& variants) {
    const auto& best = tuned(variants, validation, options.k);
    run(best.name, best.build(test));
  };

  std::vector<std::pair<std::string, double>> order_counts;
  counts_of(test, false).for_each_item([&](const std::string& item, const ItemStats& stats) {
    order_counts.emplace_back(item, static_cast<double>(stats.orders));
  });
  run("popularity", [&](const std::string&, const std::vector<std::string>& bought) {
    return top_k(order_counts, bought, options.k);
  });
  {
    RecommenderOptions decayed;  // no neighbours: the popularity fallback alone
    decayed.neighbours = 0;
    decayed.half_life_us = options.half_life_days * kDayUs;
    run(fmt::format("decayed popularity ({} d half-life)", options.half_life_days),
        recommender_model(counts_of(test, false), decayed, test.catalogue, options.k));
  }
  {
    // As the projection serves it: K neighbours only, no popularity-only ranking.
    RecommenderOptions served;
    served.neighbours = options.neighbours;
    served.popularity_weight = options.popularity_weight;
    served.half_life_us = options.half_life_days * kDayUs;
    run(fmt::format("item-to-item cosine + {} popularity (ours, as served)", options.popularity_weight),
        recommender_model(counts_of(test, false), served, test.catalogue, options.k));
  }
  run_tuned(grid("item-to-item cosine over orders", false, Similarity::cosine));
  run_tuned(grid("item-to-item Jaccard over orders", false, Similarity::jaccard));
  run_tuned(grid("item-to-item cosine over customer histories", true, Similarity::cosine));
  if (level == ItemLevel::product) {
    std::vector<Variant> variants;
    for (double weight : {0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0}) {
      variants.push_back({fmt::format("popularity + {} sub-category affinity, tuned", weight),
                          [&, weight](const Split& split) { return sub_category_model(split, history, weight, options.k); }});
    }
    run_tuned(variants);
  }
  run("implicit ALS", als_model(test, options));

  std::vector<ModelResult> results;
  const auto& popularity = rows.front().second;
  for (const auto& [name, summary] : rows) {
    results.push_back({level_name, name, summary.users(), summary.mean(), summary.coverage(test.catalogue),
                       paired_difference(summary, popularity, &RankingScores::ndcg),
                       paired_difference(summary, popularity, &RankingScores::recall)});
  }
  return results;
}

std::string results_table(const std::vector<ModelResult>& results, std::size_t k) {
  std::string out = fmt::format(
      "| level | model | users | precision@{0} | recall@{0} | NDCG@{0} | MAP@{0} | coverage | NDCG@{0} vs popularity | "
      "recall@{0} vs popularity |\n",
      k);
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  auto difference = [](const recommendations::PairedDifference& d) {
    return fmt::format("{:+.4f} ± {:.4f}", d.mean, d.half_width);
  };
  for (const auto& r : results) {
    out += fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.3f} | {} | {} |\n", r.level, r.model,
                       r.users, r.scores.precision, r.scores.recall, r.scores.ndcg, r.scores.average_precision,
                       r.coverage, difference(r.ndcg_vs_popularity), difference(r.recall_vs_popularity));
  }
  return out;
}

}  // namespace orderline::cli
