#pragma once
// What the listener, the sessions and Server share: configuration, services, and the live
// connections (so stop() can close idle ones and wait for busy ones).
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "gateway/auth_runtime.h"
#include "gateway/server.h"

namespace orderline::gateway {

class Connection {
 public:
  virtual ~Connection() = default;
  // Asks the connection to close once its current request (if any) is answered. Any thread.
  virtual void shutdown() = 0;
};

struct ServerState {
  GatewayConfig config;
  Services services;
  std::unique_ptr<AuthRuntime> auth;  // built by Server from config and services
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::condition_variable all_closed;  // notified when a connection ends
  std::map<std::uint64_t, std::weak_ptr<Connection>> live;
  std::uint64_t next_id = 1;
  std::size_t streams = 0;  // how many of `live` are WebSocket connections (under mutex)
  // Runs a job off the I/O threads (WebSocket resumes read the log); set by Server.
  std::function<void(std::function<void()>)> offload;
  // Where WebSocket connections live once upgraded (set by Server): a thread of their own. A
  // connection writes one frame per turn of its I/O context's queue, and a subscriber to many
  // orders gets thousands of frames a second; behind the HTTP requests' handlers each turn took
  // milliseconds under load (docs/performance.md). Null: the context that accepted them.
  boost::asio::io_context* stream_ioc = nullptr;

  std::size_t connection_count() {
    std::lock_guard lock(mutex);
    return live.size();
  }
  // HTTP connections only: WebSocket ones have their own limit (config.max_streams).
  std::size_t http_connection_count() {
    std::lock_guard lock(mutex);
    return live.size() - std::min(streams, live.size());
  }
  std::size_t stream_count() {
    std::lock_guard lock(mutex);
    return streams;
  }
};

}  // namespace orderline::gateway
