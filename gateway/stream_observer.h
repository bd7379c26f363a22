#pragma once
// What the WebSocket side of the gateway tells an observer (metrics). Called on I/O threads:
// implementations must be thread-safe and cheap.
#include <cstddef>
#include <string_view>

namespace orderline::gateway {

class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  virtual void on_open() = 0;
  virtual void on_close() = 0;
  // Update frames written to a client (acknowledgements and errors not counted).
  virtual void on_pushed(std::size_t messages) = 0;
  // A connection cut off because its outbound queue was full.
  virtual void on_slow_consumer() = 0;
  // An error frame sent, by its code (malformed_frame, forbidden, ...).
  virtual void on_error_frame(std::string_view code) = 0;
};

}  // namespace orderline::gateway
