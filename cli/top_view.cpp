#include "cli/top_view.h"

#include <fmt/format.h>

#include <map>

namespace orderline::cli {

using observability::buckets_of;
using observability::LabelFilter;
using observability::sum_of;

namespace {

// The q-quantile of a histogram over the interval between the scrapes.
std::optional<double> interval_quantile(double q, const Scrape* earlier, const Scrape& latest, std::string_view name,
                                        const LabelFilter& filter = {}) {
  if (!earlier) return std::nullopt;
  return observability::histogram_quantile(
      q, observability::bucket_delta(buckets_of(latest.samples, name, filter), buckets_of(earlier->samples, name, filter)));
}

std::string rate_text(const std::optional<double>& value) { return value ? fmt::format("{:.1f}", *value) : "-"; }

std::string latency_text(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  if (*seconds < 1) return fmt::format("{:.1f} ms", *seconds * 1000);
  return fmt::format("{:.2f} s", *seconds);
}

}  // namespace

TopFrame compute_top_frame(const Scrape* earlier, const Scrape& latest) {
  TopFrame frame;
  const double seconds = earlier ? std::chrono::duration<double>(latest.at - earlier->at).count() : 0;
  auto rate = [&](std::string_view name, const LabelFilter& filter = {}) -> std::optional<double> {
    if (!earlier || seconds <= 0) return std::nullopt;
    const double delta = sum_of(latest.samples, name, filter) - sum_of(earlier->samples, name, filter);
    return delta < 0 ? 0 : delta / seconds;  // a restart resets counters: show 0, not negative
  };
  frame.orders_per_s = rate("orderline_commands_total", {{"type", "place_order"}, {"result", "accepted"}});
  frame.requests_per_s = rate("orderline_http_requests_total");
  if (earlier && seconds > 0) {
    double errors = 0, rejected = 0;
    auto add = [&](const std::vector<observability::Sample>& samples, double sign) {
      for (const auto& s : samples) {
        if (s.name == "orderline_http_requests_total" && s.labels.count("status") && s.labels.at("status").starts_with("5")) {
          errors += sign * s.value;
        }
        if (s.name == "orderline_commands_total" && s.labels.count("result") && s.labels.at("result") != "accepted") {
          rejected += sign * s.value;
        }
      }
    };
    add(latest.samples, 1);
    add(earlier->samples, -1);
    frame.errors_per_s = std::max(errors, 0.0) / seconds;
    frame.rejected_per_s = std::max(rejected, 0.0) / seconds;
  }
  frame.events_per_s = rate("orderline_events_appended_total");
  frame.cpu_cores = rate("orderline_process_cpu_seconds_total");

  const LabelFilter checkout = {{"route", "/api/v1/orders"}, {"method", "POST"}};
  frame.checkout_p50 = interval_quantile(0.5, earlier, latest, "orderline_http_request_duration_seconds", checkout);
  frame.checkout_p99 = interval_quantile(0.99, earlier, latest, "orderline_http_request_duration_seconds", checkout);
  frame.request_p50 = interval_quantile(0.5, earlier, latest, "orderline_http_request_duration_seconds");
  frame.request_p99 = interval_quantile(0.99, earlier, latest, "orderline_http_request_duration_seconds");
  frame.append_p99 = interval_quantile(0.99, earlier, latest, "orderline_event_log_append_duration_seconds");

  std::map<std::string, TopFrame::Lag> lags;
  for (const auto& s : latest.samples) {
    if (s.name == "orderline_command_queue_depth") {
      frame.queued += s.value;
      if (s.value > frame.busiest_queue) {
        frame.busiest_queue = s.value;
        frame.busiest_partition = s.labels.count("partition") ? s.labels.at("partition") : "";
      }
    } else if (s.name == "orderline_projection_lag_events" || s.name == "orderline_projection_lag_seconds") {
      const auto projection = s.labels.count("projection") ? s.labels.at("projection") : "?";
      auto& lag = lags[projection];
      lag.projection = projection;
      if (s.name == "orderline_projection_lag_events") {
        lag.events += s.value;
      } else {
        lag.seconds = std::max(lag.seconds, s.value);
      }
    }
  }
  for (auto& [name, lag] : lags) frame.lags.push_back(std::move(lag));
  frame.queue_capacity = sum_of(latest.samples, "orderline_command_queue_capacity");
  frame.rss_bytes = sum_of(latest.samples, "orderline_process_resident_memory_bytes");
  frame.open_fds = sum_of(latest.samples, "orderline_process_open_fds");
  return frame;
}

std::string render_top_frame(const TopFrame& f, const std::string& url) {
  std::string out = fmt::format("orderline top  {}\n\n", url);
  out += fmt::format("throughput  orders/s {:>8}   requests/s {:>8}   events/s {:>8}\n", rate_text(f.orders_per_s),
                     rate_text(f.requests_per_s), rate_text(f.events_per_s));
  out += fmt::format("failures    5xx/s    {:>8}   refused commands/s {:>8}\n", rate_text(f.errors_per_s),
                     rate_text(f.rejected_per_s));
  out += fmt::format("latency     checkout p50 {:>9}  p99 {:>9}   all requests p50 {:>9}  p99 {:>9}\n",
                     latency_text(f.checkout_p50), latency_text(f.checkout_p99), latency_text(f.request_p50),
                     latency_text(f.request_p99));
  out += fmt::format("            log write p99 {:>9}\n", latency_text(f.append_p99));
  out += fmt::format("queues      {:.0f} commands waiting; fullest partition {} holds {:.0f} of {:.0f}\n", f.queued,
                     f.busiest_partition.empty() ? "-" : f.busiest_partition, f.busiest_queue, f.queue_capacity);
  out += fmt::format("process     RSS {:.1f} MiB   CPU {} cores   open files {:.0f}\n\n", f.rss_bytes / (1 << 20),
                     f.cpu_cores ? fmt::format("{:.2f}", *f.cpu_cores) : "-", f.open_fds);
  out += fmt::format("{:<24} {:>12} {:>12}\n", "projection", "lag events", "lag seconds");
  for (const auto& lag : f.lags) {
    out += fmt::format("{:<24} {:>12.0f} {:>12.2f}\n", lag.projection, lag.events, lag.seconds);
  }
  return out;
}

}  // namespace orderline::cli
