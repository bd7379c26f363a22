#pragma once
// What the gateway tells an observer (metrics) about every answered request, so the gateway
// knows nothing of Prometheus. Called on the connection's I/O thread just before the answer
// is written: implementations must be thread-safe and cheap.
#include <chrono>
#include <string_view>

namespace orderline::gateway {

// The route label of requests no route matched (404, 405, malformed requests): one value, so
// scanners probing random paths cannot grow the number of series.
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

class HttpObserver {
 public:
  virtual ~HttpObserver() = default;
  // method as sent; route the matched template ("/api/v1/orders/{order_id}") or
  // kUnmatchedRoute; elapsed from the request being read to its answer being ready.
  virtual void on_response(std::string_view method, std::string_view route, unsigned status,
                           std::chrono::nanoseconds elapsed) = 0;
};

}  // namespace orderline::gateway
