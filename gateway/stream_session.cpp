#include "gateway/stream_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <list>
#include <optional>

#include "domain/aggregate.h"
#include "gateway/access.h"
#include "gateway/stream_access.h"
#include "gateway/stream_hub.h"
#include "gateway/stream_protocol.h"
#include "gateway/stream_replay.h"
#include "observability/log.h"

namespace orderline::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t kMaxFrameBytes = 4096;     // client frames are small JSON objects
constexpr std::size_t kMaxSubscriptions = 100;   // per connection
constexpr std::size_t kReadPiece = 128;          // bytes per read step (see do_read)
constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::chrono::seconds kCloseTimeout{5};  // then the TCP connection is dropped
constexpr std::chrono::seconds kStalled{1};       // a write pending this long: the client is not reading
constexpr std::size_t kHardFactor = 8;            // queue_limit x this: cut off whatever the socket does

std::uint64_t entry(const eventstore::PositionVector& position, std::uint32_t partition) {
  auto it = position.offsets.find(partition);
  return it == position.offsets.end() ? 0 : it->second;
}

class StreamSession : public Connection, public StreamSubscriber, public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : ws_(std::move(socket)), state_(std::move(state)), close_timer_(ws_.get_executor()) {}

  ~StreamSession() override {
    hub().remove(subscriber_id_);
    if (auto* observer = state_->services.stream_observer) observer->on_close();
    std::lock_guard lock(state_->mutex);
    state_->live.erase(live_id_);
    --state_->streams;
    state_->all_closed.notify_all();
  }

  void run(http::request<http::string_body> request) {
    {
      std::lock_guard lock(state_->mutex);
      live_id_ = state_->next_id++;
      state_->live.emplace(live_id_, weak_from_this());
      ++state_->streams;
    }
    subscriber_id_ = hub().new_subscriber_id();
    if (auto* observer = state_->services.stream_observer) observer->on_open();
    if (auto it = request.find(http::field::authorization); it != request.end()) authorization_ = std::string(it->value());

    if (state_->config.stream_send_buffer > 0) {
      error_code ignored;
      ws_.next_layer().set_option(net::socket_base::send_buffer_size(state_->config.stream_send_buffer), ignored);
    }
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = kHandshakeTimeout;
    timeout.idle_timeout = state_->config.stream_idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "orderline"); }));
    ws_.read_message_max(kMaxFrameBytes);
    ws_.async_accept(request, beast::bind_front_handler(&StreamSession::on_accept, shared_from_this()));
  }

  void shutdown() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->begin_close(websocket::close_code::going_away, "server shutting down");
    });
  }

  // Projector thread, hub lock held: only hop onto the strand.
  void deliver(std::vector<MessagePtr> messages) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), messages = std::move(messages)] {
      if (self->replaying_) return self->hold(messages);
      if (!self->admit()) return;
      for (const auto& message : messages) {
        if (self->wants(message->update)) self->push({std::shared_ptr<const std::string>(message, &message->text), true});
      }
      self->kick();
    });
  }

 private:
  struct Subscription {
    Topic topic;
    eventstore::PositionVector from;  // updates before it were seen by the client
  };
  struct Outgoing {
    std::shared_ptr<const std::string> text;
    bool update = false;  // an order update (counted as pushed), not an ack or an error
    bool replayed = false;  // part of a resume's replay (bounded by the replay limit instead)
  };

  StreamHub& hub() { return *state_->services.stream_hub; }

  void on_accept(error_code ec) {
    if (ec) return close_socket();
    accepted_ = true;
    if (closing_) return do_close();
    do_read();
  }

  // A message is read in pieces of kReadPiece bytes: Beast sizes the buffer of a pending read
  // before anything arrives (1.5 KiB for a whole-message read), and an idle connection spends
  // its life in a pending read. Client frames are rare and small, so the extra steps cost
  // nothing that matters; the buffer is released after each message.
  void do_read() {
    ws_.async_read_some(buffer_, kReadPiece, beast::bind_front_handler(&StreamSession::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) {
      // closed: the client's close handshake; anything else (too big, timeout, reset) ends
      // the connection too.
      if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
        observability::log("gateway")->debug("stream connection ended: {}", ec.message());
      }
      return close_socket();
    }
    if (!ws_.is_message_done()) return do_read();  // the rest of the message
    if (!ws_.got_text()) {
      send_error("malformed_frame", "frames must be text (JSON)");
    } else {
      try {
        handle_frame(beast::buffers_to_string(buffer_.data()));
      } catch (const std::exception& e) {
        // A bug or an exhausted resource: this frame fails, the connection and the I/O thread go on.
        observability::log("gateway")->error("stream frame failed: {}", e.what());
        send_error("internal_error", "the server could not handle this frame");
      }
    }
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();  // empty: frees it
    // During a resume the next frame waits: its subscription would race the replay.
    if (!replaying_) do_read();
  }

  void handle_frame(const std::string& text) {
    if (closing_) return;
    auto parsed = parse_client_frame(text);
    if (auto* error = std::get_if<FrameError>(&parsed)) return send_error(error->code, error->detail);
    auto& frame = std::get<ClientFrame>(parsed);
    if (frame.op == ClientFrame::Op::subscribe) return subscribe(frame);
    unsubscribe(frame.topic);
  }

  bool known_to_read_models(const Topic& topic) {
    const auto& read_models = *state_->services.read_models;
    switch (topic.kind) {
      case Topic::Kind::order: return read_models.order(topic.key).has_value();
      case Topic::Kind::customer: return read_models.customer_exists(topic.key);
      case Topic::Kind::all: return true;
    }
    return false;
  }

  // The log's answer for an order or customer the read models do not know (created a moment
  // ago, or never). Off the I/O threads: on `orderd gateway` the log's index first catches up
  // with the topics, a Kafka round trip (about 0.1 s measured), and ids are the client's.
  static bool in_log(const eventstore::EventLog& log, const Topic& topic) {
    auto records = log.read_stream(topic.kind == Topic::Kind::order ? domain::order_stream(topic.key)
                                                                    : domain::customer_stream(topic.key));
    return records && !records.value->empty();
  }

  void send_not_found(const Topic& topic) {
    send_error("not_found", std::string(topic.kind == Topic::Kind::order ? "no order " : "no customer ") + topic.key,
               &topic);
  }

  bool may_follow(const auth::Principal& principal, const Topic& topic) {
    if (!principal.customer_only()) return true;
    switch (topic.kind) {
      case Topic::Kind::customer: return may_see_customer(principal, topic.key);
      case Topic::Kind::order: {
        const auto order = state_->services.read_models->order(topic.key);
        return order && may_see_customer(principal, order->customer_id());
      }
      case Topic::Kind::all: return false;
    }
    return false;
  }

  void subscribe(const ClientFrame& frame) {
    const auto& topic = frame.topic;
    for (const auto& s : subscriptions_) {
      if (s.topic == topic) return send_error("already_subscribed", "this connection already follows it", &topic);
    }
    if (subscriptions_.size() >= kMaxSubscriptions) {
      return send_error("too_many_subscriptions", "at most 100 subscriptions per connection", &topic);
    }
    const auto caller =
        stream_caller(*state_->auth, authorization_ ? std::optional<std::string_view>(*authorization_) : std::nullopt,
                      frame.token ? std::optional<std::string_view>(*frame.token) : std::nullopt);
    if (!caller.anonymous && !caller.principal) {
      return send_error("unauthorized", "the token is not valid (expired, malformed, or not ours)", &topic);
    }
    if (topic.kind == Topic::Kind::all && !(caller.principal && stream_sees_all(*caller.principal))) {
      return send_error(caller.anonymous ? "unauthorized" : "forbidden",
                        caller.anonymous
                            ? "every order is for staff: send a staff token (Authorization: Bearer, or \"token\")"
                            : "the token does not grant staff access",
                        &topic);
    }
    if (known_to_read_models(topic)) return admit(frame, caller);
    // Only the log can tell: looked up off the I/O threads; this connection's next frame waits
    // for the answer (as during a resume) and live updates of its other topics are held.
    replaying_ = true;
    auto self = shared_from_this();
    state_->offload([self, frame, caller] {
      bool found = false;
      try {
        found = in_log(*self->state_->services.log, frame.topic);
      } catch (const std::exception& e) {
        observability::log("gateway")->error("stream subscription look-up failed: {}", e.what());
      }
      net::post(self->ws_.get_executor(),
                [self, frame, caller, found] { self->on_looked_up(frame, caller, found); });
    });
  }

  void on_looked_up(const ClientFrame& frame, const StreamCaller& caller, bool found) {
    replaying_ = false;
    auto held = std::move(held_);
    held_.clear();
    if (closing_) return;
    if (found) {
      admit(frame, caller);
    } else {
      send_not_found(frame.topic);
    }
    if (replaying_) {
      // admit() began a resume: what was held waits for its replay too.
      held_.insert(held_.begin(), held.begin(), held.end());
      return;
    }
    release(held);
    do_read();
  }

  // The topic exists: the caller's right to it, then the subscription.
  void admit(const ClientFrame& frame, const StreamCaller& caller) {
    const auto& topic = frame.topic;
    // A customer follows only their own orders; others' ids look as if they did not exist.
    if (caller.principal && !may_follow(*caller.principal, topic)) return send_not_found(topic);

    // Registered first: every update from `upto` on arrives live, everything before it is
    // replayed from the log, so the two meet without a gap or an overlap.
    const auto upto = hub().subscribe(subscriber_id_, weak_from_this(), topic);
    if (!frame.from) {
      subscriptions_.push_back({topic, {}});
      // The client has seen nothing yet: live updates start at `upto`.
      enqueue({std::make_shared<const std::string>(ack_frame("subscribed", topic, eventstore::encode_position(upto))),
               false});
      return;
    }
    // The replay reads the log off the I/O threads; live updates that arrive meanwhile are
    // held and follow it.
    replaying_ = true;
    auto self = shared_from_this();
    state_->offload([self, topic, from = *frame.from, upto] {
      Replay replay;
      try {
        replay = replay_topic(*self->state_->services.log, *self->state_->services.read_models, topic, from, upto,
                              self->state_->config.stream_replay_limit);
      } catch (const std::exception& e) {
        observability::log("gateway")->error("stream replay failed: {}", e.what());
        replay.error_code = "internal_error";
        replay.detail = "the server could not replay the missed updates";
      }
      net::post(self->ws_.get_executor(), [self, topic, from, replay = std::move(replay)]() mutable {
        self->on_replayed(topic, from, std::move(replay));
      });
    });
  }

  void on_replayed(const Topic& topic, const eventstore::PositionVector& from, Replay replay) {
    replaying_ = false;
    auto held = std::move(held_);
    held_.clear();
    if (closing_) return;
    if (replay.error_code) {
      hub().unsubscribe(subscriber_id_, topic);
      send_error(*replay.error_code, replay.detail, &topic);
    } else {
      subscriptions_.push_back({topic, from});
      // What follows the acknowledgement (replay, then live) starts at `from`.
      enqueue({std::make_shared<const std::string>(ack_frame("subscribed", topic, eventstore::encode_position(from))),
               false});
      if (closing_) return;  // the acknowledgement found the connection too slow
      // A resume may queue up to the replay limit at once; only what comes on top of it counts
      // against the queue limit, so a fast client resuming from far back is not taken for slow.
      for (const auto& message : replay.messages) {
        push({std::shared_ptr<const std::string>(message, &message->text), true, true});
      }
    }
    release(held);
    do_read();
  }

  // Live updates held during a replay or look-up, now that the subscriptions are settled.
  void release(const std::vector<MessagePtr>& held) {
    for (const auto& message : held) {
      if (wants(message->update)) push({std::shared_ptr<const std::string>(message, &message->text), true});
    }
    kick();
  }

  // Live updates during a replay, bounded like the queue.
  void hold(const std::vector<MessagePtr>& messages) {
    if (closing_) return;
    if (held_.size() + messages.size() > kHardFactor * state_->config.stream_queue_limit) {
      held_.clear();
      return cut_off();
    }
    held_.insert(held_.end(), messages.begin(), messages.end());
  }

  void unsubscribe(const Topic& topic) {
    auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) { return s.topic == topic; });
    if (it == subscriptions_.end()) return send_error("unknown_subscription", "this connection does not follow it", &topic);
    subscriptions_.erase(it);
    hub().unsubscribe(subscriber_id_, topic);
    enqueue({std::make_shared<const std::string>(
                 ack_frame("unsubscribed", topic, eventstore::encode_position(hub().published()))),
             false});
  }

  // A live update is for this connection while one of its subscriptions matches it and the
  // client had not seen it before subscribing (`from`).
  bool wants(const projections::OrderUpdate& update) const {
    return std::any_of(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) {
      return s.topic.matches(update) && update.offset >= entry(s.from, update.partition);
    });
  }

  void send_error(std::string_view code, std::string_view detail, const Topic* topic = nullptr) {
    if (auto* observer = state_->services.stream_observer) observer->on_error_frame(code);
    enqueue({std::make_shared<const std::string>(error_frame(code, detail, topic)), false});
  }

  // Frames arrive in bursts (a projector batch is handed over whole, and several may reach
  // the strand before a write completes), so a count alone would cut off fast clients. A
  // connection is slow when more than the limit wait and its socket has not taken the frame
  // being written for kStalled; whatever the socket does, more than kHardFactor times the limit
  // is too many (the memory bound). Checked as frames arrive, before they are queued.
  bool admit() {
    if (closing_) return false;
    const auto waiting = queue_.size() - replayed_waiting_;
    const auto limit = state_->config.stream_queue_limit;
    const bool stalled = writing_ && std::chrono::steady_clock::now() - write_started_ >= kStalled;
    if (waiting > kHardFactor * limit || (waiting > limit && stalled)) {
      cut_off();
      return false;
    }
    return true;
  }

  void push(Outgoing outgoing) {
    if (outgoing.replayed) ++replayed_waiting_;
    queue_.push_back(std::move(outgoing));
  }

  void kick() {
    if (!writing_ && accepted_ && !closing_ && !queue_.empty()) do_write();
  }

  void enqueue(Outgoing outgoing) {
    if (!admit()) return;
    push(std::move(outgoing));
    kick();
  }

  void do_write() {
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front().text), beast::bind_front_handler(&StreamSession::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return close_socket();
    if (queue_.front().update) {
      if (auto* observer = state_->services.stream_observer) observer->on_pushed(1);
    }
    if (queue_.front().replayed) --replayed_waiting_;
    queue_.pop_front();
    if (close_after_write_) return do_close();
    if (!queue_.empty() && !closing_) do_write();
  }

  // The client reads slower than updates arrive: drop what waits and close with a reason,
  // instead of holding an ever longer queue.
  void cut_off() {
    if (auto* observer = state_->services.stream_observer) observer->on_slow_consumer();
    observability::log("gateway")->warn("stream connection cut off: {} frames waiting (limit {})",
                                        queue_.size() - replayed_waiting_, state_->config.stream_queue_limit);
    // The frame being written stays: its buffer is in use until the write completes.
    queue_.erase(std::next(queue_.begin(), writing_ ? 1 : 0), queue_.end());
    replayed_waiting_ = !queue_.empty() && queue_.front().replayed ? 1 : 0;
    begin_close(websocket::close_code::policy_error,
                "slow consumer: more than " + std::to_string(state_->config.stream_queue_limit) + " messages waiting");
  }

  void begin_close(websocket::close_code code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(code, reason);
    // A client that reads nothing never lets the close frame out: drop the connection then.
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close_socket();
    });
    if (!accepted_) return;  // on_accept closes
    if (writing_) {
      close_after_write_ = true;
      return;
    }
    do_close();
  }

  void do_close() {
    close_after_write_ = false;
    writing_ = true;  // the close frame is the last write
    ws_.async_close(close_reason_, [self = shared_from_this()](error_code) { self->close_socket(); });
  }

  void close_socket() {
    closing_ = true;
    close_timer_.cancel();
    error_code ignored;
    ws_.next_layer().close(ignored);
  }

  // What an idle connection costs is mostly what it holds (10,000 of them are the target, see
  // docs/streaming.md#memory): the socket straight under the websocket (a beast::tcp_stream
  // would add its own timers and state, ~0.5 KiB, for timeouts the websocket already keeps),
  // and a queue that holds nothing while nothing waits (a std::deque keeps ~0.6 KiB for good).
  websocket::stream<tcp::socket> ws_;
  std::shared_ptr<ServerState> state_;
  net::steady_timer close_timer_;
  beast::flat_buffer buffer_;
  std::list<Outgoing> queue_;
  std::vector<Subscription> subscriptions_;
  std::optional<std::string> authorization_;  // of the upgrade request
  websocket::close_reason close_reason_;
  std::size_t replayed_waiting_ = 0;  // replayed frames in queue_
  bool replaying_ = false;             // a resume's replay (or a log look-up) is running off the I/O thread
  std::vector<MessagePtr> held_;       // live updates that arrived during it
  std::chrono::steady_clock::time_point write_started_;
  std::uint64_t live_id_ = 0;
  std::uint64_t subscriber_id_ = 0;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_after_write_ = false;
};

}  // namespace

void start_stream_session(tcp::socket socket, http::request<http::string_body> request,
                          std::shared_ptr<ServerState> state) {
  if (state->stream_ioc) {
    // Re-homed onto the streams' I/O context (a strand there): the HTTP session has no
    // operation left on the socket, so its descriptor can change hands.
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    tcp::socket rehomed(net::make_strand(*state->stream_ioc));
    if (!ec) {
      const auto handle = socket.release(ec);
      if (!ec) rehomed.assign(protocol, handle, ec);
    }
    if (ec) {
      observability::log("gateway")->debug("stream connection dropped at hand-over: {}", ec.message());
      return;  // the socket (whichever holds the descriptor) closes as it goes
    }
    socket = std::move(rehomed);
  }
  std::make_shared<StreamSession>(std::move(socket), std::move(state))->run(std::move(request));
}

}  // namespace orderline::gateway
