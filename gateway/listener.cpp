// Accepts connections and owns the I/O threads (Server's implementation).
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gateway/server.h"
#include "gateway/session.h"
#include "observability/log.h"

namespace orderline::gateway {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc), acceptor_(net::make_strand(ioc)), state_(std::move(state)) {}

  // Throws std::runtime_error when the address cannot be bound.
  std::uint16_t bind() {
    error_code ec;
    const auto address = net::ip::make_address(state_->config.address, ec);
    if (ec) throw std::runtime_error("bad listen address " + state_->config.address + ": " + ec.message());
    const tcp::endpoint endpoint(address, state_->config.port);
    auto check = [&](const char* what) {
      if (ec) {
        throw std::runtime_error(std::string("cannot ") + what + " " + state_->config.address + ":" +
                                 std::to_string(state_->config.port) + ": " + ec.message());
      }
    };
    acceptor_.open(endpoint.protocol(), ec);
    check("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    check("configure");
    acceptor_.bind(endpoint, ec);
    check("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    check("listen on");
    return acceptor_.local_endpoint().port();
  }

  void run() { do_accept(); }

  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      observability::log("gateway")->warn("accept failed: {}", ec.message());
    } else if (state_->stopping.load()) {
      error_code ignored;
      socket.close(ignored);
    } else if (state_->http_connection_count() >= state_->config.max_connections) {
      reject_connection(std::move(socket));
    } else {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      start_session(std::move(socket), state_);
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<ServerState> state_;
};

}  // namespace

struct Server::Impl {
  explicit Impl(int threads) : ioc(std::max(threads, 1)), work(net::make_work_guard(ioc)) {}

  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;  // commands in flight hold no I/O
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  // WebSocket resumes read the log here, so an I/O thread never does (one thread: resumes
  // are rare, and each is bounded by the replay limit).
  net::thread_pool replay_pool{1};
  // WebSocket connections (ServerState::stream_ioc): one thread, apart from the HTTP requests.
  net::io_context stream_ioc{1};
  net::executor_work_guard<net::io_context::executor_type> stream_work = net::make_work_guard(stream_ioc);
  std::thread stream_thread;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

Server::Server(GatewayConfig config, Services services) : impl_(std::make_unique<Impl>(config.threads)) {
  impl_->state->config = std::move(config);
  impl_->state->services = std::move(services);
  impl_->state->offload = [this](std::function<void()> job) { net::post(impl_->replay_pool, std::move(job)); };
  impl_->state->stream_ioc = &impl_->stream_ioc;
  impl_->state->auth = std::make_unique<AuthRuntime>(impl_->state->config, impl_->state->services);
}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->started) return;
  impl_->listener = std::make_shared<Listener>(impl_->ioc, impl_->state);
  impl_->port = impl_->listener->bind();
  impl_->started = true;
  impl_->listener->run();
  auto run = [](net::io_context& ioc, const char* what) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        observability::log("gateway")->error("gateway {} thread: {}", what, e.what());
      }
    }
  };
  const int threads = std::max(impl_->state->config.threads, 1);
  for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this, run] { run(impl_->ioc, "I/O"); });
  impl_->stream_thread = std::thread([this, run] { run(impl_->stream_ioc, "WebSocket"); });
}

void Server::stop() {
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  auto& state = *impl_->state;
  state.stopping.store(true);
  impl_->listener->stop();

  std::vector<std::shared_ptr<Connection>> connections;
  {
    std::lock_guard lock(state.mutex);
    for (auto& [id, weak] : state.live) {
      if (auto c = weak.lock()) connections.push_back(std::move(c));
    }
  }
  for (auto& c : connections) c->shutdown();
  connections.clear();

  // In-flight commands answer by their deadline (or the gateway's 504 just after it).
  const auto deadline = std::chrono::steady_clock::now() + state.config.command_timeout + std::chrono::seconds(2);
  {
    std::unique_lock lock(state.mutex);
    state.all_closed.wait_until(lock, deadline, [&] { return state.live.empty(); });
    if (!state.live.empty()) observability::log("gateway")->warn("gateway stopping with {} connections still open", state.live.size());
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->stream_work.reset();
  impl_->stream_ioc.stop();
  if (impl_->stream_thread.joinable()) impl_->stream_thread.join();
  impl_->replay_pool.join();  // a resume still running posts to the stopped I/O context: dropped
}

std::uint16_t Server::port() const { return impl_->port; }

}  // namespace orderline::gateway
