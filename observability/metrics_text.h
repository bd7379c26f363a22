#pragma once
// Reading the Prometheus text exposition format (what GET /metrics answers), for clients of
// /metrics: `orderctl top` and the tests. Depends on nothing but the standard library.
//
//   auto samples = parse_metrics_text(body);
//   double placed = sum_of(samples, "orderline_commands_total", {{"type", "place_order"}});
//   auto p99 = histogram_quantile(0.99, buckets_of(samples, "orderline_http_request_duration_seconds", {}));
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orderline::observability {

struct Sample {
  std::string name;                           // with its suffix: "..._bucket", "..._count"
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

// Every sample line; comments (# HELP, # TYPE) and lines that do not parse are skipped.
std::vector<Sample> parse_metrics_text(std::string_view text);

using LabelFilter = std::vector<std::pair<std::string, std::string>>;

// True when the sample has every label of the filter with that value.
bool matches(const Sample& sample, const LabelFilter& filter);

// The sum of the samples of `name` matching the filter (0 when there are none).
double sum_of(const std::vector<Sample>& samples, std::string_view name, const LabelFilter& filter = {});

// Whether any sample of `name` matches the filter.
bool has_sample(const std::vector<Sample>& samples, std::string_view name, const LabelFilter& filter = {});

// The cumulative buckets (upper bound "le" -> count) of histogram `name` (base name, without
// _bucket), summed over the series matching the filter, sorted by bound; +Inf included.
std::vector<std::pair<double, double>> buckets_of(const std::vector<Sample>& samples, std::string_view name,
                                                  const LabelFilter& filter = {});

// The q-quantile of cumulative buckets, interpolated linearly inside the bucket as PromQL's
// histogram_quantile() does; nullopt without observations. A quantile in the +Inf bucket
// answers the highest finite bound.
std::optional<double> histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets);

// Element-wise difference of two bucket lists of the same histogram (later - earlier), for
// the quantile over an interval; buckets missing from `earlier` count from 0.
std::vector<std::pair<double, double>> bucket_delta(const std::vector<std::pair<double, double>>& later,
                                                    const std::vector<std::pair<double, double>>& earlier);

}  // namespace orderline::observability
