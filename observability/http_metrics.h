#pragma once
// HTTP metrics, fed by the gateway through gateway::HttpObserver:
//   orderline_http_requests_total{route,method,status}          counter
//   orderline_http_request_duration_seconds{route,method}       histogram
// route is the matched template ("/api/v1/orders/{order_id}"), never the raw path, and method
// is one of the standard methods or "other", so the number of series stays bounded whatever
// clients send.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "gateway/http_observer.h"
#include "observability/counted_and_timed.h"
#include "observability/series_cache.h"

namespace orderline::observability {

class HttpMetrics final : public gateway::HttpObserver {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);

  void on_response(std::string_view method, std::string_view route, unsigned status,
                   std::chrono::nanoseconds elapsed) override;

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  // One lookup per request: (route, method, status) -> the counter and the (route, method)
  // histogram.
  SeriesCache<3, CountedAndTimed> series_;
};

// The method label: GET, POST, ... as sent when standard, else "other".
std::string_view method_label(std::string_view method);

}  // namespace orderline::observability
