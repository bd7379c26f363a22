#pragma once
// What `orderctl top` shows, computed from two scrapes of /metrics taken an interval apart:
// rates are counter deltas over the interval, latencies the quantiles of the histogram
// buckets' deltas (so they describe the last interval, not the process's lifetime), and
// gauges (queue depth, projection lag, memory) their latest value. Pure functions of the
// scraped text, so they are tested without a server.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "observability/metrics_text.h"

namespace orderline::cli {

struct Scrape {
  std::chrono::steady_clock::time_point at;
  std::vector<observability::Sample> samples;
};

struct TopFrame {
  // Per second over the interval; nullopt without an earlier scrape.
  std::optional<double> orders_per_s;    // accepted place_order commands
  std::optional<double> requests_per_s;  // every HTTP answer
  std::optional<double> errors_per_s;    // HTTP 5xx answers
  std::optional<double> rejected_per_s;  // commands not accepted, any type
  std::optional<double> events_per_s;    // events appended to the log
  std::optional<double> cpu_cores;       // CPU seconds per second
  // Seconds, over the interval; nullopt when nothing was observed in it.
  std::optional<double> checkout_p50, checkout_p99;  // POST /api/v1/orders
  std::optional<double> request_p50, request_p99;    // every route
  std::optional<double> append_p99;                  // the event log's synced write
  double queued = 0;              // commands waiting, all partitions
  double busiest_queue = 0;       // the fullest partition's queue
  std::string busiest_partition;  // its partition ("" when all are empty)
  double queue_capacity = 0;
  struct Lag {
    std::string projection;
    double events = 0;   // summed over partitions
    double seconds = 0;  // the worst partition
  };
  std::vector<Lag> lags;  // by projection name
  double rss_bytes = 0;
  double open_fds = 0;
};

// earlier may be null (the first scrape): rates and interval quantiles are then absent.
TopFrame compute_top_frame(const Scrape* earlier, const Scrape& latest);

// The frame as lines of text (no terminal control sequences).
std::string render_top_frame(const TopFrame& frame, const std::string& url);

}  // namespace orderline::cli
