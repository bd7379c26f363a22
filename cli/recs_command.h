#pragma once
// `orderctl recs evaluate [PATH]`: flags and the run (recs_evaluation.h says what is measured).
// Offline: reads the Superstore CSV, needs no server.
#include <string>

#include "cli/recs_evaluation.h"

namespace CLI {
class App;
}

namespace orderline::cli {

struct RecsEvaluateArgs {
  std::string path = "data/superstore.csv";
  std::string level = "both";  // product | sub_category | both
  std::string split = "2017-01-01";     // train before, test from (options.split once parsed)
  std::string test_end = "2018-01-01";  // test before
  EvaluationOptions options;
};

// Adds `recs` and its `evaluate` subcommand to the app; returns `evaluate`.
CLI::App* add_recs_command(CLI::App& app, RecsEvaluateArgs& args);

// The process exit status: 0 done, 2 bad dates, 1 an unreadable or malformed file (message on
// stderr).
int run_recs_evaluate(const RecsEvaluateArgs& args);

}  // namespace orderline::cli
