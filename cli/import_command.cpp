#include "cli/import_command.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/http_get.h"
#include "cli/progress_bar.h"
#include "cli/server_answer.h"
#include "cli/superstore_batches.h"

namespace orderline::cli {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kBatchTimeout{60};
constexpr int kAttempts = 6;  // per batch, when the engine answers 429/503/504 (busy): ~30 s in all

struct Tally {
  std::int64_t created = 0, already_present = 0, rejected = 0;
  void add(const json::value& counts) {
    created += counts.at("created").to_number<std::int64_t>();
    already_present += counts.at("already_present").to_number<std::int64_t>();
    rejected += counts.at("rejected").to_number<std::int64_t>();
  }
  std::string line(const char* what) const {
    return fmt::format("  {:<10} {:>6} created  {:>6} already present  {:>4} rejected", what, created,
                       already_present, rejected);
  }
};

struct Summary {
  Tally customers, products, orders;
  std::vector<std::string> rejections;
};

bool busy(unsigned status) { return status == 429 || status == 503 || status == 504; }

// Sends one batch, again while the engine is busy (safe: the import is idempotent).
HttpGetResult send(const ImportArgs& args, const std::string& body) {
  const std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + args.token}};
  HttpGetResult answer;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    answer = http_request("POST", args.url + "/api/v1/admin/import/orders", body, headers, kBatchTimeout);
    if (!answer.ok || !busy(answer.status) || attempt == kAttempts) break;
    std::this_thread::sleep_for(std::chrono::seconds(1 << (attempt - 1)));
  }
  return answer;
}

// Adds a 200 answer to the summary; false when it is not the answer this command expects.
bool add_answer(Summary& summary, const std::string& body) {
  json::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return false;
  try {
    const auto& o = value.as_object();
    summary.customers.add(o.at("customers"));
    summary.products.add(o.at("products"));
    summary.orders.add(o.at("orders"));
    for (const auto& r : o.at("rejections").as_array()) {
      const auto& item = r.as_object();
      auto text = [&](const char* key) { return std::string(item.at(key).as_string()); };
      summary.rejections.push_back(fmt::format("{} {}: {} {}{}", text("kind"), text("key"), text("code"), text("detail"),
                                               text("field").empty() ? "" : " (" + text("field") + ")"));
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::string default_superstore_path() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = cache && *cache ? cache : std::string(home ? home : ".") + "/.cache";
  return base + "/orderline/superstore/superstore.csv";
}

void add_import_superstore_flags(CLI::App& command, ImportArgs& args) {
  command.add_option("path", args.path, "superstore.csv (default: the one scripts/superstore fetched)");
  command.add_option("--url", args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  command.add_option("--stock", args.stock, "Stock on hand of each product the import creates")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
}

int run_import_superstore(const ImportArgs& args) {
  std::string path = args.path;
  if (path.empty()) {
    path = default_superstore_path();
    if (!std::filesystem::exists(path)) {
      std::cerr << "orderctl import superstore: no PATH given and no fetched file at " << path
                << "; run scripts/superstore first (it prints the path)\n";
      return 1;
    }
  }
  // The whole file is read and checked before anything is sent: a malformed file imports nothing.
  std::vector<ImportBatchText> batches;
  std::size_t total_lines = 0;
  try {
    const auto lines = read_superstore_csv(path);
    total_lines = lines.size();
    SuperstoreBatchOptions options;
    options.stock = args.stock;
    batches = superstore_import_batches(lines, options);
  } catch (const std::exception& e) {
    std::cerr << "orderctl import superstore: " << e.what() << "\n";
    return 1;
  }

  Summary summary;
  ProgressPrinter progress;
  std::size_t done_lines = 0, done_orders = 0;
  const auto began = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto answer = send(args, batches[i].json);
    if (!answer_ok(answer, fmt::format("orderctl import superstore: batch {}/{}", i + 1, batches.size()))) {
      std::cerr << "imported the first " << done_orders << " orders before this; running the command again "
                << "goes on where it stopped (what is there counts as already present)\n";
      return 1;
    }
    if (!add_answer(summary, answer.body)) {
      std::cerr << "orderctl import superstore: the server's answer is not an import summary: "
                << answer.body.substr(0, 200) << "\n";
      return 1;
    }
    done_lines += batches[i].csv_lines;
    done_orders += batches[i].orders;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    progress.show(fmt::format("{}  {}/{} lines  {} orders  {:.0f} lines/s",
                              progress_bar(static_cast<double>(done_lines) / static_cast<double>(total_lines)),
                              done_lines, total_lines, done_orders, seconds > 0 ? done_lines / seconds : 0.0),
                  i + 1 == batches.size());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::cout << fmt::format("imported {} ({} lines, {} orders) in {:.1f} s\n", path, total_lines, done_orders, seconds)
            << summary.customers.line("customers") << "\n"
            << summary.products.line("products") << "\n"
            << summary.orders.line("orders") << "\n";
  for (const auto& r : summary.rejections) std::cerr << "rejected " << r << "\n";
  const auto rejected = summary.customers.rejected + summary.products.rejected + summary.orders.rejected;
  if (rejected > static_cast<std::int64_t>(summary.rejections.size())) {
    std::cerr << "(" << rejected - static_cast<std::int64_t>(summary.rejections.size()) << " more rejections not listed)\n";
  }
  return rejected == 0 ? 0 : 1;
}

}  // namespace orderline::cli
