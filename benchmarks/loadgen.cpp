// orderline-loadgen: the end-to-end HTTP load tool of benchmarks/run.
//
// N keep-alive connections to a local orderd each repeatedly POST /api/v1/orders (a unique
// Idempotency-Key per request); with --read each placed order is then read back (GET, on the
// same connection) and the pair counts as one order. --api emmett drives the peer of
// benchmarks/peers/emmett (POST /orders, GET /orders/{id}, no accounts) the same way, so every
// system of the comparison is loaded by one tool. Two modes:
//   closed loop (default)  every connection sends its next request as soon as the previous
//                          answer arrives: the peak the server sustains at this concurrency.
//   open loop (--rate R)   requests follow a fixed schedule (R/N per connection); latency is
//                          measured from the *scheduled* send time, so a stalled server is
//                          charged for the requests it delayed (no coordinated omission).
// It prints one JSON object on stdout; diagnostics go to stderr.
//
//   orderline-loadgen --port 8080 --duration 10 --warmup 2
//   orderline-loadgen --port 8080 --rate 15000
//   orderline-loadgen --port 8080 --method GET --path /healthz
//   orderline-loadgen --port 8080 --read                  (place, then read it back)
//   orderline-loadgen --port 3000 --api emmett --read     (the peer)
//
// The tool only talks to loopback addresses: it is a benchmark, not a way to load somebody
// else's server. It always stops by itself: warmup + duration + grace, whatever the server does.
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int connections = 64;
  double rate = 0;  // orders/s over all connections; 0: closed loop
  double duration_s = 10;
  double warmup_s = 2;
  double grace_s = 5;     // after the window: how long in-flight requests may still finish
  double timeout_s = 10;  // per request
  int threads = 1;        // io_context threads
  std::string method = "POST";
  std::string path = "/api/v1/orders";
  std::string sku = "COFFEE-1KG";
  std::string currency = "EUR";
  std::string token;        // "Authorization: Bearer" for every request; empty: log in as a new customer
  std::string token_file;   // the token's file (first line), e.g. data/admin-token
  std::string customer_id;  // skip registration and use this customer
  std::string api = "orderline";  // or "emmett": the peer's routes, no accounts
  bool read_back = false;         // GET each placed order before the next request
};

bool is_emmett(const Options& o) { return o.api == "emmett"; }
std::string orders_path(const Options& o) { return is_emmett(o) ? "/orders" : "/api/v1/orders"; }
bool is_orders(const Options& o) { return o.method == "POST" && o.path == orders_path(o); }

// The read that follows a placed order. Orderline's read side is a projection: `after` makes
// the query wait (bounded) until it has folded the order's event, i.e. read-your-write, which
// the peer gets by folding the stream from its event store on every read.
std::optional<std::string> read_target(const Options& o, const std::string& placed_body) {
  boost::system::error_code ec;
  auto parsed = json::parse(placed_body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto* id = parsed.as_object().if_contains("order_id");
  if (id == nullptr || !id->is_string()) return std::nullopt;
  std::string target = orders_path(o) + "/" + std::string(id->as_string());
  const auto* position = parsed.as_object().if_contains("position");
  if (!is_emmett(o) && position != nullptr && position->is_string()) {
    target += "?after=" + std::string(position->as_string());  // base64url: safe in a query
  }
  return target;
}

// ---------------------------------------------------------------------------------------------
// Loopback only.

std::optional<asio::ip::address> loopback_address(const std::string& host) {
  if (host == "localhost") return asio::ip::make_address("127.0.0.1");
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(bare, ec);
  if (ec) return std::nullopt;
  if (address.is_v4() && (address.to_v4().to_uint() >> 24) == 127) return address;
  if (address.is_v6() && address.to_v6() == asio::ip::address_v6::loopback()) return address;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Figures. One Stats per session (no locks on the hot path), merged at the end.

struct Stats {
  std::vector<std::uint32_t> latencies_us;  // of measured requests, including errors
  std::array<std::uint64_t, 600> http_status{};          // by HTTP status code
  std::map<std::string, std::uint64_t> status_counts;  // everything else (transport_error, ...)
  std::uint64_t ok = 0;          // 2xx answers received inside the window (throughput)
  std::uint64_t requests = 0;    // measured requests that got an answer
  std::uint64_t errors = 0;      // non-2xx, transport errors, timeouts, incomplete
  std::uint64_t incomplete = 0;  // scheduled in the window but unanswered when the run ended
  std::uint64_t reconnects = 0;

  void merge(const Stats& other) {
    latencies_us.insert(latencies_us.end(), other.latencies_us.begin(), other.latencies_us.end());
    for (std::size_t i = 0; i < http_status.size(); ++i) http_status[i] += other.http_status[i];
    for (const auto& [k, v] : other.status_counts) status_counts[k] += v;
    ok += other.ok;
    requests += other.requests;
    errors += other.errors;
    incomplete += other.incomplete;
    reconnects += other.reconnects;
  }
};

std::uint32_t micros(Clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
}

struct Run {
  Options options;
  tcp::endpoint endpoint;
  std::string run_id;  // makes Idempotency-Keys unique across runs
  std::string body;    // the same order body for every request (the key differs)
  Clock::time_point start;          // schedule origin (beginning of the warmup)
  Clock::time_point measure_from;   // start + warmup
  Clock::time_point measure_until;  // measure_from + duration
  Clock::time_point hard_stop;      // measure_until + grace
  std::atomic<bool> stopping{false};
  std::atomic<int> active{0};        // sessions whose schedule is not over yet
  std::function<void()> all_idle;    // called once the last session is done
  bool open_loop() const { return options.rate > 0; }
  bool measured(Clock::time_point t) const { return t >= measure_from && t < measure_until; }
};

// ---------------------------------------------------------------------------------------------
// One keep-alive connection: connect, then send -> read -> (wait for the schedule) -> send ...

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, Run& run, int index)
      : run_(run), index_(index), stream_(asio::make_strand(io)), timer_(stream_.get_executor()) {
    const double interval_s = run_.open_loop() ? run_.options.connections / run_.options.rate : 0;
    interval_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
    // Connections are staggered over one interval so the aggregate rate is smooth.
    offset_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(run_.open_loop() ? index / run_.options.rate : 0));
    request_.method(http::string_to_verb(run_.options.method));
    request_.target(run_.options.path);
    request_.version(11);
    request_.set(http::field::host, run_.options.host);
    request_.set(http::field::user_agent, "orderline-loadgen");
    request_.keep_alive(true);
    if (!run_.options.token.empty()) request_.set(http::field::authorization, "Bearer " + run_.options.token);
    if (request_.method() == http::verb::post || request_.method() == http::verb::put) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = run_.body;
      request_.prepare_payload();
    }
    read_request_.method(http::verb::get);
    read_request_.version(11);
    read_request_.set(http::field::host, run_.options.host);
    read_request_.set(http::field::user_agent, "orderline-loadgen");
    read_request_.keep_alive(true);
    if (!run_.options.token.empty()) read_request_.set(http::field::authorization, "Bearer " + run_.options.token);
  }

  // Connects; calls done(true/false) once, on the session's strand.
  void connect(std::function<void(bool)> done) {
    connected_callback_ = std::move(done);
    stream_.expires_after(std::chrono::seconds(5));
    stream_.async_connect(run_.endpoint, [self = shared_from_this()](beast::error_code ec) {
      const bool ok = !ec;
      if (ok) self->stream_.socket().set_option(tcp::no_delay(true), ec);
      auto callback = std::move(self->connected_callback_);
      callback(ok);
    });
  }

  void begin() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->next(); });
  }

  // Called on the session's strand after the run's end: records what never got an answer.
  void finish() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->in_flight_ && self->run_.measured(self->intended_)) {
        self->stats_.incomplete++;
        self->stats_.errors++;
        self->stats_.latencies_us.push_back(micros(Clock::now() - self->intended_));
      }
      if (self->run_.open_loop()) {
        // Requests due in the window that the connection never got to send: their latency
        // is at least (now - scheduled). Counting them keeps an overloaded run honest.
        const auto now = Clock::now();
        auto due = self->scheduled(self->sequence_ + (self->in_flight_ ? 1 : 0));
        for (std::uint64_t k = self->sequence_ + (self->in_flight_ ? 1 : 0);
             due < self->run_.measure_until; due = self->scheduled(++k)) {
          if (!self->run_.measured(due)) continue;
          self->stats_.incomplete++;
          self->stats_.errors++;
          self->stats_.latencies_us.push_back(micros(now - due));
        }
      }
      self->in_flight_ = false;
      self->timer_.cancel();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  const Stats& stats() const { return stats_; }

 private:
  Clock::time_point scheduled(std::uint64_t k) const {
    return run_.start + offset_ + interval_ * static_cast<std::int64_t>(k);
  }

  // This session will send nothing more.
  void done() {
    if (done_) return;
    done_ = true;
    if (--run_.active == 0 && run_.all_idle) run_.all_idle();
  }

  void next() {
    if (run_.stopping.load(std::memory_order_relaxed)) return done();
    const auto now = Clock::now();
    if (run_.open_loop()) {
      intended_ = scheduled(sequence_);
      if (intended_ >= run_.measure_until) return done();  // schedule over
      if (intended_ > now) {
        timer_.expires_at(intended_);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (!ec) self->send();
        });
        return;
      }
    } else {
      intended_ = now;
      if (now >= run_.measure_until) return done();
    }
    send();
  }

  void send() {
    if (run_.stopping.load(std::memory_order_relaxed)) return done();
    if (!stream_.socket().is_open()) return reconnect();
    in_flight_ = true;
    reading_ = false;
    if (request_.method() == http::verb::post) {
      request_.set("Idempotency-Key", run_.run_id + "-" + std::to_string(index_) + "-" + std::to_string(sequence_));
    }
    transmit(request_);
  }

  // Writes one request and reads its answer into response_ (the timeout is per request).
  void transmit(http::request<http::string_body>& request) {
    response_.emplace();
    response_->body_limit(1 << 20);
    stream_.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(run_.options.timeout_s)));
    http::async_write(stream_, request, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->failed("transport_error");
      self->buffer_.clear();
      http::async_read(self->stream_, self->buffer_, *self->response_,
                       [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
    });
  }

  void on_read(beast::error_code ec) {
    if (!in_flight_) return;  // finish() already accounted for it
    if (ec == beast::error::timeout) return failed("timeout");
    if (ec) return failed("transport_error");
    auto message = response_->release();
    const unsigned status = message.result_int();
    // --read: a placed order is read back on the same connection before it counts; the
    // latency runs from the POST's intended send time to the GET's answer.
    if (run_.options.read_back && !reading_ && status >= 200 && status < 300) {
      if (!message.keep_alive()) return failed("closed_before_read");
      if (auto target = read_target(run_.options, message.body())) {
        reading_ = true;
        read_request_.target(*target);
        return transmit(read_request_);
      }
      return failed("no_order_id");  // a 2xx without an order id: an error of its own
    }
    const auto now = Clock::now();
    in_flight_ = false;
    const bool success = status >= 200 && status < 300;
    // Throughput counts what was answered inside the window; latency and statuses belong to
    // the requests due inside it (answered possibly later, during the grace period).
    if (success && run_.measured(now)) stats_.ok++;
    if (run_.measured(intended_)) {
      if (status < stats_.http_status.size()) {
        stats_.http_status[status]++;
      } else {
        stats_.status_counts[std::to_string(status)]++;
      }
      stats_.requests++;
      if (!success) stats_.errors++;
      stats_.latencies_us.push_back(micros(now - intended_));
    }
    ++sequence_;
    if (!message.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
    }
    next();
  }

  void failed(const char* what) {
    if (!in_flight_) return;
    in_flight_ = false;
    if (run_.measured(intended_)) {
      stats_.status_counts[what]++;
      stats_.errors++;
      stats_.requests++;
      stats_.latencies_us.push_back(micros(Clock::now() - intended_));
    }
    ++sequence_;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (run_.stopping.load(std::memory_order_relaxed)) return done();
    // Back off a little so a refusing server is not hammered with connects.
    timer_.expires_after(std::chrono::milliseconds(50));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->next();
    });
  }

  void reconnect() {
    stats_.reconnects++;
    stream_.expires_after(std::chrono::seconds(5));
    stream_.async_connect(run_.endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        self->in_flight_ = true;  // so failed() records this scheduled request
        return self->failed("connect_error");
      }
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      self->send();
    });
  }

  Run& run_;
  int index_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::request<http::string_body> read_request_;  // --read: GET of the order just placed
  bool reading_ = false;                           // the answer awaited is the read's
  std::optional<http::response_parser<http::string_body>> response_;
  std::function<void(bool)> connected_callback_;
  Clock::duration interval_{};
  Clock::duration offset_{};
  std::uint64_t sequence_ = 0;
  Clock::time_point intended_{};
  bool in_flight_ = false;
  bool done_ = false;
  Stats stats_;
};

// ---------------------------------------------------------------------------------------------
// Set-up requests, synchronous: register a customer, then wait until an order is accepted (the
// customer has to reach the read model the order handler consults).

struct Answer {
  unsigned status = 0;
  std::string body;
};

Answer request_sync(const Run& run, http::verb method, const std::string& target, const std::string& body,
                    const std::string& idempotency_key = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(run.endpoint);
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, run.options.host);
  request.set(http::field::user_agent, "orderline-loadgen");
  request.set(http::field::content_type, "application/json");
  if (!run.options.token.empty()) request.set(http::field::authorization, "Bearer " + run.options.token);
  if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {response.result_int(), response.body()};
}

std::string order_body(const Options& o, const std::string& customer_id) {
  json::object line{{"sku", o.sku}, {"quantity", 1}};
  json::object body{{"customer_id", customer_id}, {"currency", o.currency}, {"lines", json::array{line}}};
  return json::serialize(body);
}

// The way a storefront authenticates: register an account, log in, and order with the
// customer's access token (valid 15 minutes by default: longer runs need a --token).
std::string register_and_login(Run& run) {
  const std::string email = "loadgen-" + run.run_id + "@example.com";
  const std::string password = "loadgen password " + run.run_id;
  json::object account{{"email", email}, {"password", password}, {"name", "Load Generator"}};
  auto registered = request_sync(run, http::verb::post, "/api/v1/auth/register", json::serialize(account));
  if (registered.status != 201) {
    throw std::runtime_error("POST /api/v1/auth/register answered " + std::to_string(registered.status) + ": " +
                             registered.body);
  }
  json::object credentials{{"email", email}, {"password", password}};
  auto login = request_sync(run, http::verb::post, "/api/v1/auth/login", json::serialize(credentials));
  if (login.status != 200) {
    throw std::runtime_error("POST /api/v1/auth/login answered " + std::to_string(login.status) + ": " + login.body);
  }
  auto parsed = json::parse(login.body).as_object();
  run.options.token = std::string(parsed.at("access_token").as_string());
  return std::string(parsed.at("customer_id").as_string());
}

std::string register_customer(const Run& run) {
  json::object body{{"email", "loadgen-" + run.run_id + "@example.com"}, {"name", "Load Generator"}};
  auto answer = request_sync(run, http::verb::post, "/api/v1/customers", json::serialize(body));
  if (answer.status != 201) {
    throw std::runtime_error("POST /api/v1/customers answered " + std::to_string(answer.status) + ": " +
                             answer.body);
  }
  auto parsed = json::parse(answer.body);
  const auto* id = parsed.as_object().if_contains("customer_id");
  if (id == nullptr || !id->is_string()) throw std::runtime_error("no customer_id in " + answer.body);
  return std::string(id->as_string());
}

void wait_until_orders_accepted(const Run& run) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  for (int attempt = 0;; ++attempt) {
    auto answer = request_sync(run, http::verb::post, orders_path(run.options), run.body,
                               run.run_id + "-probe-" + std::to_string(attempt));
    if (answer.status == 201) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("no order accepted within 30 s; last answer " + std::to_string(answer.status) +
                               ": " + answer.body);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string random_run_id() {
  std::random_device device;
  std::ostringstream out;
  out << "lg" << std::hex << std::setw(8) << std::setfill('0') << device() << std::setw(8) << device();
  return out.str();
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1000.0;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// boost::json writes doubles as 2E0; figures read better as 2 or 0.835.
void print(std::ostream& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      char text[64];
      std::snprintf(text, sizeof text, "%.3f", d);
      std::string s = text;
      while (!s.empty() && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      out << s;
      break;
    }
    case json::kind::object: {
      out << '{';
      bool first = true;
      for (const auto& [k, item] : v.get_object()) {
        if (!first) out << ',';
        first = false;
        out << json::serialize(json::string(k)) << ':';
        print(out, item);
      }
      out << '}';
      break;
    }
    default:
      out << json::serialize(v);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"orderline-loadgen: HTTP load for a local orderd (loopback only)"};
  app.add_option("--host", o.host, "127.0.0.0/8, localhost or ::1")->capture_default_str();
  app.add_option("--port", o.port, "port of orderd")->required();
  app.add_option("-c,--connections", o.connections, "keep-alive connections")->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--rate", o.rate, "open loop: orders/s over all connections (0: closed loop)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e7));
  app.add_option("-d,--duration", o.duration_s, "measured seconds")->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", o.warmup_s, "seconds before measuring")->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--grace", o.grace_s, "seconds in-flight requests may take after the window")
      ->capture_default_str()->check(CLI::Range(0.0, 60.0));
  app.add_option("--timeout", o.timeout_s, "per-request timeout, seconds")->capture_default_str()
      ->check(CLI::Range(0.01, 120.0));
  app.add_option("-t,--threads", o.threads, "io_context threads")->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--method", o.method, "HTTP method (POST sends the order body)")->capture_default_str()
      ->check(CLI::IsMember({"GET", "POST"}));
  app.add_option("--path", o.path, "request target")->capture_default_str();
  app.add_option("--sku", o.sku, "SKU ordered")->capture_default_str();
  app.add_option("--currency", o.currency, "order currency")->capture_default_str();
  app.add_option("--token", o.token,
                 "bearer token sent with every request (e.g. the admin service token); without one, orders "
                 "are placed by a customer who registers and logs in first")
      ->envname("ORDERLINE_TOKEN");
  app.add_option("--token-file", o.token_file, "file whose first line is the bearer token");
  app.add_option("--customer-id", o.customer_id, "use this customer instead of registering one");
  app.add_option("--api", o.api, "orderline, or emmett: the peer of benchmarks/peers/emmett (POST /orders, "
                 "GET /orders/{id}, no accounts)")->capture_default_str()->check(CLI::IsMember({"orderline", "emmett"}));
  app.add_flag("--read", o.read_back, "read each placed order back (GET) before it counts");
  CLI11_PARSE(app, argc, argv);
  if (is_emmett(o) && o.path == "/api/v1/orders") o.path = orders_path(o);
  if (o.read_back && !is_orders(o)) {
    std::cerr << "orderline-loadgen: --read needs POST to the orders route" << std::endl;
    return 2;
  }

  auto address = loopback_address(o.host);
  if (!address) {
    std::cerr << "orderline-loadgen: refusing host '" << o.host
              << "': only loopback (127.0.0.0/8, localhost, ::1) may be loaded" << std::endl;
    return 2;
  }

  Run run;
  run.options = o;
  run.endpoint = tcp::endpoint(*address, o.port);
  run.run_id = random_run_id();
  try {
    if (run.options.token.empty() && !o.token_file.empty()) {
      std::ifstream in(o.token_file);
      if (!in) throw std::runtime_error("cannot read " + o.token_file);
      std::getline(in, run.options.token);
    }
    if (o.method == "POST") {
      std::string customer_id = o.customer_id;
      if (customer_id.empty() && is_orders(o)) {
        if (is_emmett(o)) {
          customer_id = "loadgen-" + run.run_id;  // the peer has no accounts: any id will do
        } else {
          customer_id = run.options.token.empty() ? register_and_login(run) : register_customer(run);
        }
      }
      run.body = is_orders(o) ? order_body(o, customer_id) : "{}";
      if (is_orders(o)) wait_until_orders_accepted(run);
    }
  } catch (const std::exception& e) {
    std::cerr << "orderline-loadgen: set-up failed: " << e.what() << std::endl;
    return 1;
  }

  asio::io_context io(o.threads);
  std::vector<std::shared_ptr<Session>> sessions;
  for (int i = 0; i < o.connections; ++i) sessions.push_back(std::make_shared<Session>(io, run, i));

  // Connect everything first; the schedule starts once all connections are up.
  std::atomic<int> pending{o.connections};
  std::atomic<int> refused{0};
  asio::steady_timer stop_timer(io);
  auto start_run = [&] {
    const auto seconds = [](double s) {
      return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    };
    run.start = Clock::now();
    run.measure_from = run.start + seconds(o.warmup_s);
    run.measure_until = run.measure_from + seconds(o.duration_s);
    run.hard_stop = run.measure_until + seconds(o.grace_s);
    run.active = static_cast<int>(sessions.size());
    // When every session is done early, end now instead of waiting for the grace period.
    run.all_idle = [&] { asio::post(io, [&] { stop_timer.cancel(); }); };
    stop_timer.expires_at(run.hard_stop);
    stop_timer.async_wait([&](beast::error_code) {
      run.stopping.store(true);
      for (auto& s : sessions) s->finish();
    });
    for (auto& s : sessions) s->begin();
  };
  for (auto& s : sessions) {
    s->connect([&](bool ok) {
      if (!ok) refused++;
      if (--pending == 0) asio::post(io, start_run);
    });
  }
  // Once the schedule is over and every session idle, the io_context runs out of work; the
  // stop timer bounds the run either way. A watchdog thread is the last resort.
  const auto budget = std::chrono::duration<double>(o.warmup_s + o.duration_s + o.grace_s + 15);
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(budget);
    while (!finished.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!finished.load()) {
      std::cerr << "orderline-loadgen: watchdog stop" << std::endl;
      io.stop();
    }
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < o.threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  finished.store(true);
  watchdog.join();
  if (refused.load() == o.connections) {
    std::cerr << "orderline-loadgen: no connection to " << run.endpoint << std::endl;
    return 1;
  }

  Stats total;
  for (auto& s : sessions) total.merge(s->stats());
  std::sort(total.latencies_us.begin(), total.latencies_us.end());

  json::object status_counts;
  for (std::size_t i = 0; i < total.http_status.size(); ++i) {
    if (total.http_status[i] != 0) status_counts[std::to_string(i)] = total.http_status[i];
  }
  for (const auto& [k, v] : total.status_counts) status_counts[k] = v;
  if (total.incomplete > 0) status_counts["incomplete"] = total.incomplete;
  json::object out;
  out["mode"] = o.rate > 0 ? "open" : "closed";
  out["method"] = o.method;
  out["path"] = o.path;
  out["api"] = o.api;
  out["read_back"] = o.read_back;
  out["connections"] = o.connections;
  out["threads"] = o.threads;
  out["rate_target"] = o.rate > 0 ? json::value(o.rate) : json::value(nullptr);
  out["duration_s"] = o.duration_s;
  out["warmup_s"] = o.warmup_s;
  out["orders"] = total.ok;
  out["orders_per_s"] = round3(static_cast<double>(total.ok) / o.duration_s);
  out["requests"] = total.requests + total.incomplete;
  out["errors"] = total.errors;
  out["incomplete"] = total.incomplete;
  out["reconnects"] = total.reconnects;
  out["status_counts"] = std::move(status_counts);
  out["p50_ms"] = round3(percentile_ms(total.latencies_us, 0.50));
  out["p90_ms"] = round3(percentile_ms(total.latencies_us, 0.90));
  out["p99_ms"] = round3(percentile_ms(total.latencies_us, 0.99));
  out["p999_ms"] = round3(percentile_ms(total.latencies_us, 0.999));
  out["max_ms"] = round3(total.latencies_us.empty() ? 0 : total.latencies_us.back() / 1000.0);
  print(std::cout, out);
  std::cout << std::endl;
  return 0;
}
