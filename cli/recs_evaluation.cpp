#include "cli/recs_evaluation.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>

#include "cli/recs_models.h"

namespace orderline::cli {
namespace {

using namespace recommendations;
using namespace recs;

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
  {
    std::vector<Variant> variants;
    for (std::size_t neighbours : {20, 50, 200}) {
      for (double weight : {0.25, 1.0, 4.0}) {
        variants.push_back({fmt::format("popularity + {} x share of the {} nearest customers (cosine), tuned",
                                        weight, neighbours),
                            [&, neighbours, weight](const Split& split) {
                              return user_knn_model(split, neighbours, weight, options.k);
                            }});
      }
    }
    run_tuned(variants);
  }
  run("implicit ALS", als_model(test, options.als, options.k));

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
