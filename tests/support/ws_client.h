#pragma once
// A WebSocket client for tests (Boost.Beast), driven on the caller's thread: nothing is read
// until read() is called, so a test can play a client that stops reading (slow consumer).
// Pings from the server are answered while read() waits, as a browser would.
//
//   WsClient ws(port);                                   // upgrade of /api/v1/stream
//   ws.send(R"({"op":"subscribe","order_id":"..."})");
//   auto frame = ws.read_json();                         // null when nothing came in time
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/http_client.h"

namespace orderline::testing {

struct WsOptions {
  std::string target = "/api/v1/stream";
  HeaderList headers;          // extra headers of the upgrade request (Origin, Authorization)
  int receive_buffer = 0;      // SO_RCVBUF before connecting (small: the server's writes back up); 0: default
};

class WsClient {
 public:
  // Connects and upgrades; throws std::runtime_error when the server refuses.
  explicit WsClient(std::uint16_t port, WsOptions options = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void send(std::string_view text);
  void send_binary(std::string_view bytes);
  // The next text frame, or nullopt when none arrived within `timeout` or the connection ended.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // read() parsed; null when nothing came.
  boost::json::value read_json(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a close frame and waits (bounded) for the server's.
  void close();

  bool closed() const;                 // the connection has ended (close frame or error)
  std::uint16_t close_code() const;    // the server's close code (0 when none came)
  std::string close_reason() const;
  int pings() const;                   // pings received from the server

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderline::testing
