#include "observability/http_metrics.h"

#include <charconv>

#include "observability/buckets.h"

namespace orderline::observability {

std::string_view method_label(std::string_view method) {
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  for (auto known : kMethods) {
    if (method == known) return known;
  }
  return "other";
}

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("orderline_http_requests_total")
                    .Help("HTTP requests answered, by route template, method and status code")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("orderline_http_request_duration_seconds")
                    .Help("Time from a request being read to its answer being ready, by route template and method")
                    .Register(registry)) {}

void HttpMetrics::on_response(std::string_view method, std::string_view route, unsigned status,
                              std::chrono::nanoseconds elapsed) {
  const auto method_value = method_label(method);
  char digits[12];
  const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
  const std::string_view status_value(digits, static_cast<std::size_t>(end - digits));

  const auto& series = series_.get({route, method_value, status_value}, [&] {
    const std::string route_label(route), method_text(method_value);
    // Family::Add returns the histogram already made for another status of the same route.
    return CountedAndTimed{
        &requests_.Add({{"route", route_label}, {"method", method_text}, {"status", std::string(status_value)}}),
        &duration_.Add({{"route", route_label}, {"method", method_text}}, latency_buckets())};
  });
  series.count->Increment();
  series.duration->Observe(std::chrono::duration<double>(elapsed).count());
}

}  // namespace orderline::observability
