#include "gateway/session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "gateway/problem.h"
#include "gateway/request_ids.h"
#include "gateway/routes.h"
#include "gateway/stream_access.h"
#include "gateway/stream_session.h"
#include "observability/log.h"
#include "observability/log_context.h"

namespace orderline::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kDrainTimeout{2};

class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~Session() override {
    std::lock_guard lock(state_->mutex);
    state_->live.erase(id_);
    state_->all_closed.notify_all();
  }

  void run() {
    {
      std::lock_guard lock(state_->mutex);
      id_ = state_->next_id++;
      state_->live.emplace(id_, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  void shutdown() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Between requests: nothing to finish. Busy: on_write closes after the answer.
      if (self->reading_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  void do_read() {
    if (state_->stopping.load()) return do_close();
    parser_.emplace();
    parser_->body_limit(state_->config.body_limit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(state_->config.idle_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
  }

  // Header read (a declared body over the limit already fails here). Clients that ask with
  // "Expect: 100-continue" (curl does for bodies over 1 KiB) are told to go on.
  void on_read_header(error_code ec, std::size_t bytes) {
    if (ec || parser_->is_done()) return on_read(ec, bytes);
    const auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      continue_ = {http::status::continue_, parser_->get().version()};
      return http::async_write(stream_, continue_, [self = shared_from_this()](error_code ec, std::size_t) {
        if (ec) return self->do_close();
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    reading_ = false;
    if (ec == http::error::end_of_stream || ec == net::error::eof) return do_close();
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return do_close();
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit) {
      // The rest of the body is still coming: answer, then read and drop it before closing so
      // the client sees the 413 instead of a reset.
      begin_error_exchange();
      drain_after_write_ = true;
      auto r = problem(413, "payload_too_large",
                       "the body exceeds " + std::to_string(state_->config.body_limit) + " bytes");
      r.close = true;
      return send(sequence_, std::move(r));
    }
    if (ec == http::error::header_limit) {
      begin_error_exchange();
      auto r = problem(431, "validation_failed", "the request headers are too large");
      r.close = true;
      return send(sequence_, std::move(r));
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      begin_error_exchange();
      auto r = problem(400, "validation_failed", "malformed HTTP request: " + ec.message());
      r.close = true;
      return send(sequence_, std::move(r));
    }
    if (ec) return do_close();
    handle_request(parser_->release());
  }

  // Sets up the bookkeeping of an answer to a request that did not parse.
  void begin_error_exchange() {
    ++sequence_;
    responded_ = false;
    version_ = 11;
    keep_alive_ = false;
    method_ = "-";
    target_ = "-";
    request_id_ = new_request_id();
    if (parser_ && parser_->is_header_done()) {
      const auto& req = parser_->get();
      version_ = req.version();
      method_ = std::string(req.method_string());
      target_ = std::string(req.target());
      const auto id = req["X-Request-Id"];
      if (acceptable_request_id(id)) request_id_ = std::string(id);
    }
    correlation_id_ = request_id_;
    origin_.clear();
    if (parser_ && parser_->is_header_done()) {
      if (auto trace_id = traceparent_trace_id(parser_->get()["traceparent"])) correlation_id_ = std::move(*trace_id);
    }
  }

  void handle_request(http::request<http::string_body>&& req) {
    ++sequence_;
    responded_ = false;
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    if (beast::websocket::is_upgrade(req)) {
      auto url = boost::urls::parse_origin_form(target_);
      if (url && url->encoded_path() == kStreamPath) return upgrade(std::move(req));
    }

    auto ex = std::make_shared<Exchange>();
    ex->config = &state_->config;
    ex->services = &state_->services;
    ex->auth = state_->auth.get();
    auto& request = ex->request;
    {
      error_code ignored;
      request.remote_address = beast::get_lowest_layer(stream_).socket().remote_endpoint(ignored).address().to_string();
    }
    origin_ = std::string(req[http::field::origin]);
    request.method = method_;
    request.target = target_;
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(req.body());
    const auto client_id = request.header("x-request-id");
    request.request_id = client_id && acceptable_request_id(*client_id) ? std::string(*client_id) : new_request_id();
    request_id_ = request.request_id;
    const auto traceparent = request.header("traceparent");
    auto trace_id = traceparent ? traceparent_trace_id(*traceparent) : std::nullopt;
    request.correlation_id = trace_id ? std::move(*trace_id) : request.request_id;
    correlation_id_ = request.correlation_id;

    const std::uint64_t sequence = sequence_;
    auto self = shared_from_this();
    // The route (for metrics) is read when the handler answers: the exchange is alive then,
    // and a weak pointer keeps the exchange from owning itself through this function.
    ex->respond = [self, sequence, weak = std::weak_ptr<Exchange>(ex)](Response r) {
      std::string_view route = kUnmatchedRoute;
      if (auto alive = weak.lock()) route = alive->route;
      net::dispatch(self->stream_.get_executor(), [self, sequence, route, r = std::move(r)]() mutable {
        self->send(sequence, std::move(r), route);
      });
    };
    ex->post = [self](std::function<void()> fn) { net::post(self->stream_.get_executor(), std::move(fn)); };
    // Called on the strand only (handlers run there).
    ex->after = [self, sequence](std::chrono::milliseconds delay, std::function<void()> fn) {
      if (sequence != self->sequence_ || self->responded_) return;
      auto timer = std::make_shared<net::steady_timer>(self->stream_.get_executor(), delay);
      self->timers_.push_back(timer);
      timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
        if (!ec) fn();
      });
    };

    auto url = boost::urls::parse_origin_form(request.target);
    if (!url) {
      ex->respond(problem(400, "validation_failed", "malformed request target"));
      return;
    }
    request.path = std::string(url->encoded_path());
    for (auto segment : url->segments()) request.segments.push_back(std::string(segment));
    for (auto param : url->params()) request.query.emplace_back(std::string(param.key), std::string(param.value));

    // Lines the handlers write while dispatching carry the request's correlation id.
    observability::ScopedLogContext scope(request.correlation_id);
    try {
      dispatch(ex);
    } catch (const std::exception& e) {
      observability::log("gateway")->error("request {} {} failed: {}", method_, target_, e.what());
      ex->respond(problem(500, "internal_error", "the server could not answer this request"));
    }
  }

  // GET /api/v1/stream with Upgrade: websocket. Refused here (problem+json, then close), or
  // the socket goes to a stream session and this HTTP session ends.
  void upgrade(http::request<http::string_body>&& req) {
    const auto id = req["X-Request-Id"];
    request_id_ = acceptable_request_id(id) ? std::string(id) : new_request_id();
    correlation_id_ = request_id_;
    auto field = [&](http::field name) -> std::optional<std::string_view> {
      auto it = req.find(name);
      if (it == req.end()) return std::nullopt;
      return std::string_view(it->value().data(), it->value().size());
    };
    auto refusal = stream_upgrade_refusal(state_->config, state_->services, state_->stream_count(),
                                          state_->stopping.load(), field(http::field::origin), field(http::field::host));
    if (refusal) return send(sequence_, std::move(*refusal), kStreamPath);
    responded_ = true;
    if (auto* observer = state_->services.http_observer) {
      observer->on_response(method_, kStreamPath, 101, std::chrono::steady_clock::now() - started_);
    }
    start_stream_session(stream_.release_socket(), std::move(req), state_);
  }

  void send(std::uint64_t sequence, Response r, std::string_view route = kUnmatchedRoute) {
    if (sequence != sequence_ || responded_) return;  // a late second answer: dropped
    responded_ = true;
    for (auto& timer : timers_) timer->cancel();
    timers_.clear();

    res_ = {};
    res_.version(version_);
    res_.result(r.status);
    if (!r.content_type.empty()) res_.set(http::field::content_type, r.content_type);
    res_.set("X-Request-Id", request_id_);
    add_security_headers();
    for (auto& [name, value] : r.headers) res_.set(name, value);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !r.close && !state_->stopping.load());
    res_.prepare_payload();

    const auto elapsed = std::chrono::steady_clock::now() - started_;
    if (auto* observer = state_->services.http_observer) observer->on_response(method_, route, r.status, elapsed);
    if (observability::should_log(spdlog::level::debug)) {
      observability::ScopedLogContext scope(correlation_id_);
      observability::log("gateway")->debug("http {} {} -> {} in {} us request_id={}", method_, target_, res_.result_int(),
                                           std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                                           request_id_);
    }

    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  // On every answer, in one place: the API serves JSON only, so nothing may frame it, sniff
  // it, cache it (answers carry personal data and tokens) or load anything from it.
  void add_security_headers() {
    res_.set("X-Content-Type-Options", "nosniff");
    res_.set("X-Frame-Options", "DENY");
    res_.set("Referrer-Policy", "no-referrer");
    res_.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res_.set(http::field::cache_control, "no-store");
    const auto& origins = state_->config.cors_origins;
    if (origin_.empty() || origins.empty()) return;
    const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if (any || std::find(origins.begin(), origins.end(), origin_) != origins.end()) {
      // Bearer tokens, not cookies: no Allow-Credentials, so "*" cannot leak a session.
      res_.set(http::field::access_control_allow_origin, any ? std::string("*") : origin_);
      res_.set(http::field::access_control_expose_headers, "Location, ETag, Retry-After, X-Request-Id, WWW-Authenticate");
    }
    res_.set(http::field::vary, "Origin");
  }

  void on_write(error_code ec, std::size_t) {
    if (ec) return do_close();
    if (drain_after_write_) return do_drain();
    if (!res_.keep_alive()) return do_close();
    do_read();
  }

  void do_drain() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTimeout);
    drain_buffer_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void on_drain(error_code ec, std::size_t bytes) {
    drained_ += bytes;
    // Bounded: a client that never stops sending is cut off.
    if (ec || drained_ > 64 * state_->config.body_limit + (1u << 20)) return do_close();
    stream_.async_read_some(net::buffer(drain_buffer_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void do_close() {
    for (auto& timer : timers_) timer->cancel();
    timers_.clear();
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ServerState> state_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  http::response<http::empty_body> continue_;
  std::vector<std::shared_ptr<net::steady_timer>> timers_;
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
  std::uint64_t id_ = 0;
  std::uint64_t sequence_ = 0;  // which request the connection is answering
  bool responded_ = true;
  bool reading_ = false;
  bool drain_after_write_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::string method_;
  std::string target_;
  std::string request_id_;
  std::string correlation_id_;
  std::string origin_;  // the request's Origin header (CORS)
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

void start_session(tcp::socket socket, std::shared_ptr<ServerState> state) {
  std::make_shared<Session>(std::move(socket), std::move(state))->run();
}

namespace {

// Writes a canned answer, then reads (and drops) what the client sends until it closes or a
// short deadline passes, so the answer is not lost to a reset.
struct Rejection : std::enable_shared_from_this<Rejection> {
  explicit Rejection(tcp::socket&& socket) : stream(std::move(socket)) {}

  void run(std::string text) {
    answer = std::move(text);
    stream.expires_after(kDrainTimeout);
    net::async_write(stream, net::buffer(answer), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      error_code ignored;
      self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

  void drain() {
    stream.async_read_some(net::buffer(scratch), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->drain();
    });
  }

  beast::tcp_stream stream;
  std::string answer;
  char scratch[4096];
};

}  // namespace

void reject_connection(tcp::socket socket) {
  auto body = problem(503, "too_many_connections", "the server has too many open connections").body;
  std::make_shared<Rejection>(std::move(socket))
      ->run("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
            "X-Request-Id: " + new_request_id() + "\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace orderline::gateway
