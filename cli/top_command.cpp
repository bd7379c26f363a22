#include "cli/top_command.h"

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <iostream>
#include <thread>

#include "cli/http_get.h"
#include "cli/top_view.h"

namespace orderline::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;

struct Attempt {
  std::optional<Scrape> scrape;
  std::string error;
};

Attempt scrape(const std::string& metrics_url, std::chrono::milliseconds timeout, const std::string& token) {
  const auto at = std::chrono::steady_clock::now();
  auto response = http_get(metrics_url, timeout, token);
  if (!response.ok) return {std::nullopt, response.error};
  if (response.status != 200) return {std::nullopt, "GET " + metrics_url + ": HTTP " + std::to_string(response.status)};
  return {Scrape{at, observability::parse_metrics_text(response.body)}, {}};
}

// Sleeps for `duration` in short steps, so Ctrl-C is answered at once; false when stopped.
bool pause(std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds(50), duration));
  }
  return !g_stop;
}

}  // namespace

std::string resolve_token(const std::string& token, const std::string& token_file) {
  if (!token.empty()) return token;
  if (token_file.empty()) return {};
  std::ifstream in(token_file);
  if (!in) throw std::runtime_error("cannot read the token file " + token_file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

int run_top(const TopArgs& args) {
  std::string base = args.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string metrics_url = base.ends_with("/metrics") ? base : base + "/metrics";
  const auto interval = std::chrono::milliseconds(static_cast<long>(std::max(args.interval_s, 0.05) * 1000));
  const auto timeout = std::max(interval, std::chrono::milliseconds(2000));
  g_stop = 0;
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });

  auto earlier = scrape(metrics_url, timeout, args.token);
  if (args.once && !earlier.scrape) {
    std::cerr << "orderctl top: " << earlier.error << std::endl;
    return 1;
  }
  while (pause(interval)) {
    auto latest = scrape(metrics_url, timeout, args.token);
    if (args.once) {
      if (!latest.scrape) {
        std::cerr << "orderctl top: " << latest.error << std::endl;
        return 1;
      }
      std::cout << render_top_frame(compute_top_frame(&*earlier.scrape, *latest.scrape), base) << std::flush;
      return 0;
    }
    // Home the cursor and clear the screen, then draw: one frame per interval, no scrolling.
    std::cout << "\x1b[H\x1b[2J";
    if (latest.scrape) {
      const Scrape* previous = earlier.scrape ? &*earlier.scrape : nullptr;
      std::cout << render_top_frame(compute_top_frame(previous, *latest.scrape), base);
    } else {
      std::cout << "orderline top  " << base << "\n\n" << latest.error << "\n(retrying)\n";
    }
    std::cout << "\n(Ctrl-C to quit)" << std::flush;
    earlier = std::move(latest);
  }
  std::cout << std::endl;
  return 0;
}

}  // namespace orderline::cli
