// Reading the text format back: what orderctl top and the tests rely on.
#include <gtest/gtest.h>

#include <cmath>

#include "observability/metrics.h"
#include "observability/metrics_text.h"

namespace orderline::observability {
namespace {

TEST(MetricsText, ParsesLabelsEscapesAndSpecialValues) {
  const auto samples = parse_metrics_text(
      "# HELP x_total Things\n"
      "# TYPE x_total counter\n"
      "x_total{route=\"/a/{id}\",msg=\"say \\\"hi\\\"\\\\ \\n\"} 3\n"
      "x_total{route=\"/b\"} 4.5 1700000000000\n"
      "up 1\n"
      "h_bucket{le=\"+Inf\"} 7\n"
      "broken{route=\"/c} 1\n"
      "nan_metric NaN\n");
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_EQ(samples[0].name, "x_total");
  EXPECT_EQ(samples[0].labels.at("route"), "/a/{id}");
  EXPECT_EQ(samples[0].labels.at("msg"), "say \"hi\"\\ \n");
  EXPECT_EQ(samples[1].value, 4.5);
  EXPECT_EQ(samples[2].name, "up");
  const auto h = buckets_of(samples, "h");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_TRUE(std::isinf(h[0].first));
  EXPECT_EQ(h[0].second, 7);
  EXPECT_TRUE(std::isnan(samples[4].value));
  EXPECT_EQ(sum_of(samples, "x_total"), 7.5);
  EXPECT_EQ(sum_of(samples, "x_total", {{"route", "/b"}}), 4.5);
  EXPECT_EQ(sum_of(samples, "x_total", {{"route", "/nope"}}), 0);
  EXPECT_TRUE(has_sample(samples, "up"));
  EXPECT_FALSE(has_sample(samples, "down"));
}

TEST(MetricsText, QuantilesInterpolateInsideTheBucket) {
  // 100 observations: 50 at or under 0.01, 90 under 0.1, all under 1.
  const std::vector<std::pair<double, double>> buckets = {
      {0.01, 50}, {0.1, 90}, {1, 100}, {INFINITY, 100}};
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, buckets), 0.01);
  EXPECT_NEAR(*histogram_quantile(0.7, buckets), 0.01 + 0.09 * 0.5, 1e-12);
  EXPECT_NEAR(*histogram_quantile(0.99, buckets), 0.1 + 0.9 * 0.9, 1e-12);
  EXPECT_NEAR(*histogram_quantile(0.25, buckets), 0.005, 1e-12);  // first bucket starts at 0
  // Beyond the last finite bound: that bound.
  EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, {{0.01, 1}, {INFINITY, 10}}), 0.01);
  EXPECT_FALSE(histogram_quantile(0.5, {{0.01, 0}, {INFINITY, 0}}));
  EXPECT_FALSE(histogram_quantile(0.5, {}));
}

TEST(MetricsText, BucketDeltasGiveTheQuantileOfAnInterval) {
  const std::vector<std::pair<double, double>> before = {{0.01, 100}, {1, 100}, {INFINITY, 100}};
  const std::vector<std::pair<double, double>> after = {{0.01, 100}, {1, 110}, {INFINITY, 110}};
  const auto delta = bucket_delta(after, before);
  ASSERT_EQ(delta.size(), 3u);
  EXPECT_EQ(delta[0].second, 0);
  EXPECT_EQ(delta[2].second, 10);
  // Over the interval every request took 10 ms to 1 s, though most of all time were fast.
  EXPECT_GT(*histogram_quantile(0.5, delta), 0.01);
}

TEST(MetricsText, ReadsWhatMetricsRenders) {
  Metrics metrics;
  metrics.http()->on_response("GET", "/healthz", 200, std::chrono::milliseconds(2));
  metrics.http()->on_response("GET", "/healthz", 200, std::chrono::milliseconds(20));
  const auto samples = parse_metrics_text(metrics.render());
  EXPECT_EQ(sum_of(samples, "orderline_http_requests_total", {{"route", "/healthz"}, {"status", "200"}}), 2);
  const auto buckets = buckets_of(samples, "orderline_http_request_duration_seconds", {{"route", "/healthz"}});
  ASSERT_FALSE(buckets.empty());
  EXPECT_TRUE(std::isinf(buckets.back().first));
  EXPECT_EQ(buckets.back().second, 2);
  const auto median = histogram_quantile(0.5, buckets);
  ASSERT_TRUE(median);
  EXPECT_GT(*median, 0.001);
  EXPECT_LE(*median, 0.0025);  // the 2 ms request's bucket
}

}  // namespace
}  // namespace orderline::observability
