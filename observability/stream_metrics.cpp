#include "observability/stream_metrics.h"

namespace orderline::observability {

StreamMetrics::StreamMetrics(prometheus::Registry& registry)
    : connections_(prometheus::BuildGauge()
                       .Name("orderline_ws_connections")
                       .Help("Open WebSocket connections of /api/v1/stream")
                       .Register(registry)
                       .Add({})),
      opened_(prometheus::BuildCounter()
                  .Name("orderline_ws_connections_opened_total")
                  .Help("WebSocket connections accepted on /api/v1/stream")
                  .Register(registry)
                  .Add({})),
      pushed_(prometheus::BuildCounter()
                  .Name("orderline_ws_messages_pushed_total")
                  .Help("Order updates written to WebSocket clients")
                  .Register(registry)
                  .Add({})),
      slow_(prometheus::BuildCounter()
                .Name("orderline_ws_slow_consumers_total")
                .Help("WebSocket connections closed because their outbound queue was full")
                .Register(registry)
                .Add({})),
      errors_(prometheus::BuildCounter()
                  .Name("orderline_ws_error_frames_total")
                  .Help("Error frames sent to WebSocket clients, by code")
                  .Register(registry)) {
  // The codes of docs/streaming.md, present from the start at 0 so rate() and alerts see them
  // before the first error (and the family is exported at all).
  for (std::string_view code : {"malformed_frame", "validation_failed", "unknown_subscription", "not_found",
                                "unauthorized", "forbidden", "already_subscribed", "too_many_subscriptions",
                                "resume_too_far", "log_unavailable", "internal_error"}) {
    error_series_.get({code}, [&] { return &errors_.Add({{"code", std::string(code)}}); });
  }
}

void StreamMetrics::on_open() {
  connections_.Increment();
  opened_.Increment();
}

void StreamMetrics::on_close() { connections_.Decrement(); }

void StreamMetrics::on_pushed(std::size_t messages) { pushed_.Increment(static_cast<double>(messages)); }

void StreamMetrics::on_slow_consumer() { slow_.Increment(); }

void StreamMetrics::on_error_frame(std::string_view code) {
  auto* counter = error_series_.get({code}, [&] { return &errors_.Add({{"code", std::string(code)}}); });
  counter->Increment();
}

}  // namespace orderline::observability
