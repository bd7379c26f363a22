#include "tests/support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>
#include <stdexcept>

namespace orderline::testing {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<std::string> frames;
  bool reading = false;
  bool ended = false;
  int pings = 0;

  void start_read() {
    reading = true;
    ws.async_read(buffer, [this](error_code ec, std::size_t) {
      if (ec) {
        ended = true;
        return;
      }
      frames.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      start_read();
    });
  }

  // Runs handlers until done() or the deadline.
  template <typename Done>
  void run_until(Done done, std::chrono::steady_clock::time_point deadline) {
    ioc.restart();
    while (!done()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      if (ioc.run_one_for(deadline - now) == 0 && ioc.stopped()) ioc.restart();
    }
  }

  void write(std::string_view bytes, bool text) {
    ws.text(text);
    bool done = false;
    error_code result;
    ws.async_write(net::buffer(bytes.data(), bytes.size()), [&](error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    run_until([&] { return done; }, std::chrono::steady_clock::now() + std::chrono::seconds(30));
    if (!done) throw std::runtime_error("WebSocket write timed out");
    if (result) throw std::runtime_error("WebSocket write failed: " + result.message());
  }
};

WsClient::WsClient(std::uint16_t port, WsOptions options) : impl_(std::make_unique<Impl>()) {
  auto& socket = beast::get_lowest_layer(impl_->ws);
  socket.open(tcp::v4());
  if (options.receive_buffer > 0) socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer));
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  impl_->ws.set_option(websocket::stream_base::decorator([headers = options.headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  impl_->ws.control_callback([impl = impl_.get()](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++impl->pings;
  });
  websocket::response_type response;
  error_code ec;
  impl_->ws.handshake(response, "127.0.0.1:" + std::to_string(port), options.target, ec);
  if (ec) {
    throw std::runtime_error("WebSocket upgrade refused: " + ec.message() + " (HTTP " +
                             std::to_string(response.result_int()) + ")");
  }
}

WsClient::~WsClient() {
  error_code ignored;
  beast::get_lowest_layer(impl_->ws).close(ignored);
}

void WsClient::send(std::string_view text) { impl_->write(text, true); }
void WsClient::send_binary(std::string_view bytes) { impl_->write(bytes, false); }

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (!impl_->reading) impl_->start_read();
  impl_->run_until([&] { return !impl_->frames.empty() || impl_->ended; }, std::chrono::steady_clock::now() + timeout);
  if (impl_->frames.empty()) return std::nullopt;
  auto frame = std::move(impl_->frames.front());
  impl_->frames.pop_front();
  return frame;
}

boost::json::value WsClient::read_json(std::chrono::milliseconds timeout) {
  auto frame = read(timeout);
  if (!frame) return nullptr;
  error_code ec;
  auto value = boost::json::parse(*frame, ec);
  if (ec) return nullptr;
  return value;
}

void WsClient::close() {
  if (impl_->ended) return;
  if (!impl_->reading) impl_->start_read();
  bool done = false;
  impl_->ws.async_close(websocket::close_code::normal, [&](error_code) { done = true; });
  impl_->run_until([&] { return done && impl_->ended; }, std::chrono::steady_clock::now() + std::chrono::seconds(10));
}

bool WsClient::closed() const { return impl_->ended; }
std::uint16_t WsClient::close_code() const { return impl_->ws.reason().code; }
std::string WsClient::close_reason() const { return std::string(impl_->ws.reason().reason.c_str()); }
int WsClient::pings() const { return impl_->pings; }

}  // namespace orderline::testing
