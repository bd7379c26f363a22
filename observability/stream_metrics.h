#pragma once
// WebSocket metrics, fed by the gateway through gateway::StreamObserver:
//   orderline_ws_connections                       gauge    open /api/v1/stream connections
//   orderline_ws_connections_opened_total          counter
//   orderline_ws_messages_pushed_total             counter  order updates written to clients
//   orderline_ws_slow_consumers_total              counter  connections cut off (queue full)
//   orderline_ws_error_frames_total{code}          counter  error frames sent
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "gateway/stream_observer.h"
#include "observability/series_cache.h"

namespace orderline::observability {

class StreamMetrics final : public gateway::StreamObserver {
 public:
  explicit StreamMetrics(prometheus::Registry& registry);

  void on_open() override;
  void on_close() override;
  void on_pushed(std::size_t messages) override;
  void on_slow_consumer() override;
  void on_error_frame(std::string_view code) override;

 private:
  prometheus::Gauge& connections_;
  prometheus::Counter& opened_;
  prometheus::Counter& pushed_;
  prometheus::Counter& slow_;
  prometheus::Family<prometheus::Counter>& errors_;
  SeriesCache<1, prometheus::Counter*> error_series_;
};

}  // namespace orderline::observability
