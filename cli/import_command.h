#pragma once
// `orderctl import superstore [PATH]`: loads the Superstore sample (scripts/superstore fetches
// it) into a running orderd as customers, products and completed historical orders, in
// batches over POST /api/v1/admin/import/orders (admin token). Idempotent: a second run
// creates nothing new and says so ("already present").
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace orderline::cli {

struct ImportArgs {
  std::string path;  // empty: the file scripts/superstore fetched (default_superstore_path)
  std::string url = "http://127.0.0.1:8080";
  std::string token;  // bearer token with the admin role (set by orderctl_main)
  std::int64_t stock = 100;  // stock on hand of every product the import creates
};

void add_import_superstore_flags(CLI::App& command, ImportArgs& args);

// ${XDG_CACHE_HOME:-$HOME/.cache}/orderline/superstore/superstore.csv
std::string default_superstore_path();

// 0: every line imported or already present. 1: the file is malformed (nothing sent), the
// server could not be reached or refused a batch, or some items were rejected (listed).
int run_import_superstore(const ImportArgs& args);

}  // namespace orderline::cli
