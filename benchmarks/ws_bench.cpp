// orderline-ws-bench: what live updates over WebSocket cost (issue 5's benchmarks).
//
//   latency  POST /api/v1/orders at a fixed rate (open loop, --rate over --connections
//            keep-alive HTTP connections) while --watchers WebSocket clients follow every order
//            ("all", staff token). Per order: time from the command's 201 arriving at the
//            client to the OrderPlaced frame arriving at a watcher. p50/p90/p99/max in ms.
//            A frame that beats the 201 counts as 0 (and in `before_ack`).
//   idle     opens --idle N WebSocket connections, each subscribed to one customer's orders,
//            holds them --hold seconds answering pings, and reports orderd's resident memory
//            (from its /metrics) before and after: the cost per idle connection.
//
//   orderline-ws-bench latency --port 8080 --token T --rate 2000 --duration 10
//   orderline-ws-bench idle --port 8080 --idle 10000 --hold 10
//
// Prints one JSON object on stdout; diagnostics go to stderr. Loopback only; it always stops
// by itself.
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::string token;       // staff token (latency mode subscribes to "all")
  double rate = 1000;      // orders/s
  int connections = 8;     // HTTP connections of the load
  int watchers = 1;        // WebSocket clients following every order
  double duration_s = 10;
  double warmup_s = 2;
  double grace_s = 5;
  int idle = 1000;         // idle mode: connections
  int customers = 100;     // idle mode: customers they follow
  double hold_s = 10;      // idle mode: how long they stay open
};

const tcp::endpoint& endpoint(const Options& o) {
  static const tcp::endpoint e(asio::ip::make_address("127.0.0.1"), o.port);
  return e;
}

// A blocking keep-alive HTTP client (the load is open loop on its own thread).
class Http {
 public:
  // Every request carries the token: orderd authenticates every route (issue 6).
  Http(asio::io_context& io, const Options& o) : socket_(io), authorization_("Bearer " + o.token) {
    socket_.connect(endpoint(o));
  }

  http::response<http::string_body> request(http::verb verb, const std::string& target, const std::string& body = {},
                                            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, authorization_);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return res;
  }

 private:
  tcp::socket socket_;
  std::string authorization_;
  beast::flat_buffer buffer_;
};

double metric(asio::io_context& io, const Options& o, std::string_view name) {
  Http client(io, o);
  auto body = client.request(http::verb::get, "/metrics").body();
  for (std::size_t at = 0; (at = body.find(name, at)) != std::string::npos; at += name.size()) {
    const auto after = at + name.size();
    if ((at == 0 || body[at - 1] == '\n') && after < body.size() && body[after] == ' ') return std::stod(body.substr(after + 1));
  }
  return -1;
}

std::string new_customer(Http& client) {
  auto res = client.request(http::verb::post, "/api/v1/customers", R"({"email":"bench@example.com","name":"Bench"})");
  if (res.result_int() != 201) throw std::runtime_error("customer registration failed: " + res.body());
  return std::string(json::parse(res.body()).at("customer_id").as_string());
}

using Ws = websocket::stream<tcp::socket>;

std::unique_ptr<Ws> open_ws(asio::io_context& io, const Options& o, const std::string& subscribe,
                            const std::string& authorization = {}) {
  auto ws = std::make_unique<Ws>(io);
  beast::get_lowest_layer(*ws).connect(endpoint(o));
  if (!authorization.empty()) {
    ws->set_option(websocket::stream_base::decorator(
        [authorization](websocket::request_type& req) { req.set(http::field::authorization, authorization); }));
  }
  ws->handshake("127.0.0.1:" + std::to_string(o.port), "/api/v1/stream");
  ws->write(asio::buffer(subscribe));
  beast::flat_buffer ack;
  ws->read(ack);
  const auto text = beast::buffers_to_string(ack.data());
  if (text.find("\"subscribed\"") == std::string::npos) throw std::runtime_error("subscription refused: " + text);
  return ws;
}

double percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

int latency(const Options& o) {
  asio::io_context io;
  Http setup(io, o);
  const auto customer = new_customer(setup);
  const auto body = R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})";
  const auto run_id = std::to_string(std::random_device{}());

  std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point> acked;     // order id -> 201 received
  std::unordered_map<std::string, Clock::time_point> notified;  // order id -> first frame seen
  std::atomic<bool> stop{false};

  std::vector<std::unique_ptr<Ws>> watchers;
  for (int i = 0; i < o.watchers; ++i) watchers.push_back(open_ws(io, o, R"({"op":"subscribe","all":true})", "Bearer " + o.token));
  std::vector<std::thread> watch_threads;
  for (auto& ws : watchers) {
    watch_threads.emplace_back([&, w = ws.get()] {
      beast::flat_buffer buffer;
      boost::system::error_code ec;
      while (!stop.load()) {
        w->read(buffer, ec);
        if (ec) return;
        const auto now = Clock::now();
        auto frame = json::parse(beast::buffers_to_string(buffer.data()), ec);
        buffer.consume(buffer.size());
        if (ec || !frame.is_object()) continue;
        const auto* type = frame.as_object().if_contains("type");
        if (!type || *type != "OrderPlaced") continue;
        std::lock_guard lock(mutex);
        notified.try_emplace(std::string(frame.at("order_id").as_string()), now);
      }
    });
  }

  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_s));
  const auto measure_until = measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  std::atomic<std::uint64_t> errors{0};
  std::vector<std::thread> load;
  for (int c = 0; c < o.connections; ++c) {
    load.emplace_back([&, c] {
      asio::io_context own;
      Http client(own, o);
      const auto interval = std::chrono::duration<double>(o.connections / o.rate);
      for (std::uint64_t i = 0;; ++i) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i) +
                                                                              interval * (static_cast<double>(c) / o.connections));
        if (due >= measure_until) return;
        std::this_thread::sleep_until(due);
        auto res = client.request(http::verb::post, "/api/v1/orders", body,
                                  {{"Idempotency-Key", run_id + "-" + std::to_string(c) + "-" + std::to_string(i)}});
        const auto now = Clock::now();
        if (res.result_int() != 201) {
          ++errors;
          continue;
        }
        if (due < measure_from) continue;
        std::lock_guard lock(mutex);
        acked.emplace(std::string(json::parse(res.body()).at("order_id").as_string()), now);
      }
    });
  }
  for (auto& t : load) t.join();
  const auto sent_until = Clock::now();
  // Let the last notifications arrive.
  for (auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.grace_s));
       Clock::now() < deadline;) {
    {
      std::lock_guard lock(mutex);
      if (std::all_of(acked.begin(), acked.end(), [&](const auto& a) { return notified.count(a.first); })) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop.store(true);
  for (auto& ws : watchers) {
    // shutdown (not only close) wakes a read blocked in another thread.
    boost::system::error_code ignored;
    beast::get_lowest_layer(*ws).shutdown(tcp::socket::shutdown_both, ignored);
  }
  for (auto& t : watch_threads) t.join();

  std::vector<double> ms;
  std::uint64_t missing = 0, before_ack = 0;
  for (const auto& [id, at] : acked) {
    auto it = notified.find(id);
    if (it == notified.end()) {
      ++missing;
      continue;
    }
    const double d = std::chrono::duration<double, std::milli>(it->second - at).count();
    if (d < 0) ++before_ack;
    ms.push_back(std::max(0.0, d));
  }
  std::sort(ms.begin(), ms.end());
  json::object out{{"mode", "latency"},
                   {"rate_target", o.rate},
                   {"connections", o.connections},
                   {"watchers", o.watchers},
                   {"duration_s", o.duration_s},
                   {"orders_measured", acked.size()},
                   {"orders_per_s", static_cast<double>(acked.size()) / std::max(1e-9, std::chrono::duration<double>(
                                                                           std::min(sent_until, measure_until) - measure_from).count())},
                   {"http_errors", errors.load()},
                   {"missing_notifications", missing},
                   {"before_ack", before_ack},
                   {"notify_ms_p50", percentile(ms, 0.50)},
                   {"notify_ms_p90", percentile(ms, 0.90)},
                   {"notify_ms_p99", percentile(ms, 0.99)},
                   {"notify_ms_max", ms.empty() ? 0.0 : ms.back()}};
  std::cout << json::serialize(out) << std::endl;
  return missing == 0 ? 0 : 1;
}

int idle(const Options& o) {
  asio::io_context io;
  Http setup(io, o);
  std::vector<std::string> customers;
  for (int i = 0; i < o.customers; ++i) customers.push_back(new_customer(setup));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double rss_before = metric(io, o, "orderline_process_resident_memory_bytes");
  const double open_before = metric(io, o, "orderline_ws_connections");

  std::vector<std::unique_ptr<Ws>> open;
  std::vector<std::unique_ptr<beast::flat_buffer>> buffers;
  const auto started = Clock::now();
  std::string failure;
  for (int i = 0; i < o.idle; ++i) {
    try {
      open.push_back(open_ws(io, o, R"({"op":"subscribe","customer_id":")" + customers[static_cast<std::size_t>(i) % customers.size()] + "\"}",
                             "Bearer " + o.token));
    } catch (const std::exception& e) {
      failure = e.what();
      break;
    }
    if ((i + 1) % 1000 == 0) std::cerr << "ws-bench: " << (i + 1) << " connections open" << std::endl;
  }
  const double open_s = std::chrono::duration<double>(Clock::now() - started).count();
  // A read pending on each connection answers the server's pings (Beast replies pong).
  for (auto& ws : open) {
    buffers.push_back(std::make_unique<beast::flat_buffer>());
    ws->async_read(*buffers.back(), [](boost::system::error_code, std::size_t) {});
  }
  std::thread pinger([&] { io.run_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.hold_s))); });
  pinger.join();
  const double rss_after = metric(io, o, "orderline_process_resident_memory_bytes");
  const double open_after = metric(io, o, "orderline_ws_connections");
  std::size_t still_open = 0;
  for (auto& ws : open) still_open += ws->is_open() ? 1 : 0;

  json::object out{{"mode", "idle"},
                   {"connections_requested", o.idle},
                   {"connections_opened", open.size()},
                   {"connections_open_at_end", still_open},
                   {"server_ws_connections", open_after - std::max(0.0, open_before)},
                   {"open_seconds", open_s},
                   {"hold_seconds", o.hold_s},
                   {"rss_before_mib", rss_before / (1 << 20)},
                   {"rss_after_mib", rss_after / (1 << 20)},
                   {"bytes_per_connection", open.empty() ? 0.0 : (rss_after - rss_before) / static_cast<double>(open.size())}};
  if (!failure.empty()) out["failure"] = failure;
  std::cout << json::serialize(out) << std::endl;
  return failure.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderline-ws-bench: WebSocket notification latency and idle-connection memory of a local orderd"};
  app.require_subcommand(1);
  app.fallthrough();  // --port before or after the mode
  Options o;
  app.add_option("--port", o.port, "orderd's port on 127.0.0.1")->required();
  app.add_option("--token", o.token, "staff or admin token: registers the customers, places the orders, and the "
                 "watchers follow every order with it")->required();
  auto* lat = app.add_subcommand("latency", "command acknowledgement -> WebSocket frame, at a fixed load");
  lat->add_option("--rate", o.rate, "orders/s")->capture_default_str();
  lat->add_option("--connections", o.connections, "HTTP connections of the load")->capture_default_str();
  lat->add_option("--watchers", o.watchers, "WebSocket clients following every order")->capture_default_str();
  lat->add_option("--duration", o.duration_s, "measured seconds")->capture_default_str();
  lat->add_option("--warmup", o.warmup_s, "unmeasured seconds first")->capture_default_str();
  lat->add_option("--grace", o.grace_s, "seconds to wait for the last notifications")->capture_default_str();
  auto* idl = app.add_subcommand("idle", "idle WebSocket connections and orderd's resident memory");
  idl->add_option("--idle", o.idle, "connections to open")->capture_default_str();
  idl->add_option("--customers", o.customers, "customers they follow")->capture_default_str();
  idl->add_option("--hold", o.hold_s, "seconds to hold them open")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return lat->parsed() ? latency(o) : idle(o);
  } catch (const std::exception& e) {
    std::cerr << "orderline-ws-bench: " << e.what() << std::endl;
    return 2;
  }
}
