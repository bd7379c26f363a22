// The gateway over real sockets, with fake engine parts: a CommandBus whose answers the
// test chooses, in-memory read models and an in-memory event log.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "eventstore/position.h"
#include "gateway/server.h"
#include "projections/position_waiters.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline::gateway {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::HttpResponse;
using Kind = commands::CommandReply::Kind;

// Answers every command with what `mode` says, from a thread of its own (as the real bus).
class FakeBus : public commands::CommandBus {
 public:
  enum class Mode { accept, reject, overloaded, timed_out, shutting_down, failed, never };

  ~FakeBus() override {
    for (auto& t : threads_) t.join();
  }

  void submit(v1::Command command, commands::ReplyHandler on_reply) override {
    std::lock_guard lock(mutex_);
    commands_.push_back(command);
    if (mode_ == Mode::never) {
      parked_.push_back(std::move(on_reply));  // answered at destruction, like a stuck engine
      return;
    }
    commands::CommandReply reply;
    reply.outcome.set_command_id(command.command_id());
    switch (mode_) {
      case Mode::accept:
        reply.outcome.set_accepted(true);
        reply.outcome.set_stream_id(command.stream_id());
        reply.outcome.set_version(++versions_[command.stream_id()]);
        reply.outcome.set_status("placed");
        reply.outcome.set_partition(3);
        reply.outcome.set_offset(42);
        break;
      case Mode::reject:
        reply.outcome.set_error_code(reject_code_);
        reply.outcome.set_error_detail("refused");
        reply.outcome.set_error_field(reject_field_);
        break;
      case Mode::overloaded: reply.kind = Kind::overloaded; break;
      case Mode::timed_out: reply.kind = Kind::timed_out; break;
      case Mode::shutting_down: reply.kind = Kind::shutting_down; break;
      case Mode::failed: reply.kind = Kind::failed; break;
      case Mode::never: break;
    }
    threads_.emplace_back([reply = std::move(reply), on_reply = std::move(on_reply)]() mutable {
      on_reply(std::move(reply));
    });
  }
  std::uint32_t partition_count() const override { return 8; }

  void set_mode(Mode m, std::string code = {}, std::string field = {}) {
    std::lock_guard lock(mutex_);
    mode_ = m;
    reject_code_ = std::move(code);
    reject_field_ = std::move(field);
  }
  std::vector<v1::Command> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }
  void answer_parked() {
    std::vector<commands::ReplyHandler> parked;
    {
      std::lock_guard lock(mutex_);
      parked.swap(parked_);
    }
    for (auto& h : parked) {
      commands::CommandReply reply;
      reply.kind = Kind::shutting_down;
      h(reply);
    }
  }

 private:
  std::mutex mutex_;
  Mode mode_ = Mode::accept;
  std::string reject_code_;
  std::string reject_field_;
  std::vector<v1::Command> commands_;
  std::map<std::string, std::uint64_t> versions_;
  std::vector<std::thread> threads_;
  std::vector<commands::ReplyHandler> parked_;
};

class FakeReadModels : public projections::ReadModels {
 public:
  std::optional<v1::OrderView> order(std::string_view id) const override {
    std::lock_guard lock(mutex_);
    auto it = orders_.find(std::string(id));
    if (it == orders_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<projections::Page<v1::OrderView>> customer_orders(std::string_view customer_id, std::size_t limit,
                                                                  std::string_view cursor) const override {
    std::lock_guard lock(mutex_);
    if (cursor == "bad") return std::nullopt;
    projections::Page<v1::OrderView> page;
    for (const auto& [id, view] : orders_) {
      if (view.customer_id() == customer_id && page.items.size() < limit) page.items.push_back(view);
    }
    return page;
  }
  std::optional<v1::ProductView> product(std::string_view sku) const override {
    std::lock_guard lock(mutex_);
    auto it = products_.find(std::string(sku));
    if (it == products_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<projections::Page<v1::ProductView>> products(std::size_t limit, std::string_view cursor) const override {
    std::lock_guard lock(mutex_);
    if (!cursor.empty() && cursor != "next") return std::nullopt;
    projections::Page<v1::ProductView> page;
    for (const auto& [sku, view] : products_) {
      if (!cursor.empty() && sku <= "A") continue;
      if (page.items.size() == limit) {
        page.next_cursor = "next";
        break;
      }
      page.items.push_back(view);
    }
    return page;
  }
  bool customer_exists(std::string_view id) const override { return id == "c-1"; }
  bool session_revoked(std::string_view, std::string_view) const override { return false; }
  std::int64_t account_revoked_before_s(std::string_view) const override { return 0; }
  eventstore::PositionVector checkpoints() const override {
    std::lock_guard lock(mutex_);
    return checkpoints_;
  }
  bool reached(const eventstore::PositionVector& p) const override {
    std::lock_guard lock(mutex_);
    return checkpoints_.covers(p);
  }
  std::uint64_t when_reached(const eventstore::PositionVector& p, std::function<void()> ready) const override {
    return waiters_.add(p, std::move(ready));
  }
  void cancel_wait(std::uint64_t ticket) const override { waiters_.cancel(ticket); }

  void put_order(v1::OrderView v) {
    std::lock_guard lock(mutex_);
    orders_[v.order_id()] = std::move(v);
  }
  void put_product(v1::ProductView v) {
    std::lock_guard lock(mutex_);
    products_[v.sku()] = std::move(v);
  }
  void set_checkpoint(std::uint32_t partition, std::uint64_t offset) {
    std::lock_guard lock(mutex_);
    checkpoints_.offsets[partition] = offset;
    waiters_.advance(partition, offset);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, v1::OrderView> orders_;
  std::map<std::string, v1::ProductView> products_;
  eventstore::PositionVector checkpoints_;
  mutable projections::PositionWaiters waiters_{8};
};

class FakeLog : public eventstore::EventLog {
 public:
  template <typename T>
  using R = eventstore::LogResult<T>;
  std::uint32_t partition_count() const override { return 8; }
  R<eventstore::AppendResult> append(std::uint32_t, const eventstore::AppendBatch&) override {
    return R<eventstore::AppendResult>::fail(eventstore::LogError::closed, "read-only fake");
  }
  R<std::vector<eventstore::LogRecord>> read(std::uint32_t, std::uint64_t, std::size_t) const override {
    return R<std::vector<eventstore::LogRecord>>::ok({});
  }
  std::uint64_t end_offset(std::uint32_t) const override { return 0; }
  R<std::uint64_t> offset_for_time(std::uint32_t, std::int64_t) const override { return R<std::uint64_t>::ok(0); }
  std::uint64_t wait_beyond(std::uint32_t, std::uint64_t, std::chrono::milliseconds) const override { return 0; }
  std::vector<std::uint64_t> wait_any(const std::vector<std::uint64_t>& ends, std::chrono::milliseconds) const override {
    return ends;
  }
  R<std::vector<eventstore::LogRecord>> read_stream(std::string_view stream_id) const override {
    std::vector<eventstore::LogRecord> out;
    for (const auto& r : records) {
      if (r.key == stream_id) out.push_back(r);
    }
    return R<std::vector<eventstore::LogRecord>>::ok(std::move(out));
  }
  R<std::optional<v1::CommandOutcome>> find_outcome(std::string_view) const override {
    return R<std::optional<v1::CommandOutcome>>::ok(std::nullopt);
  }
  std::vector<eventstore::LogRecord> records;
};

// Remembers what the gateway reports of every answered request.
class RecordingObserver : public HttpObserver {
 public:
  struct Seen {
    std::string method, route;
    unsigned status;
  };
  void on_response(std::string_view method, std::string_view route, unsigned status,
                   std::chrono::nanoseconds) override {
    std::lock_guard lock(mutex_);
    seen_.push_back({std::string(method), std::string(route), status});
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<Seen> seen_;
};

constexpr const char* kToken = "s3cret-token";
const testing::HeaderList kNoAuth = {{"Authorization", ""}};
constexpr const char* kOrderBody =
    R"({"customer_id":"c-1","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":2}]})";

class GatewayServer : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override { stop(); }

  void start(std::string admin_token = kToken, std::chrono::milliseconds read_wait = std::chrono::milliseconds(100),
             std::size_t max_connections = 64) {
    GatewayConfig config;
    config.max_connections = max_connections;
    config.port = 0;
    config.threads = 2;
    config.body_limit = 4096;
    config.read_wait = read_wait;
    config.command_timeout = std::chrono::milliseconds(300);
    config.admin_token = std::move(admin_token);
    config.password_cost = "min";
    config.customer_keys_path = keys_dir.path() + "/keys";
    Services services;
    services.bus = &bus;
    services.read_models = &read_models;
    services.log = &log;
    services.readiness = [this] {
      const bool r = ready.load();
      return Readiness{r, r ? "" : "read models behind", {{"event_log", "ok"}, {"read_models", r ? "ok" : "12 events behind"}}};
    };
    services.metrics = [] { return std::string("orderline_test_total 1\n"); };
    services.http_observer = &observer;
    server = std::make_unique<Server>(config, services);
    server->start();
    client = std::make_unique<HttpClient>(server->port());
    // Every route but the public ones needs a token: these tests call as the admin service.
    client->set_default_headers({{"Authorization", std::string("Bearer ") + kToken}});
  }
  void stop() {
    client.reset();
    bus.answer_parked();
    if (server) server->stop();
    server.reset();
  }

  HttpResponse post(std::string_view target, std::string_view body, const testing::HeaderList& headers = {}) {
    return client->post(target, body, headers);
  }

  testing::TempDir keys_dir;
  FakeBus bus;
  FakeReadModels read_models;
  FakeLog log;
  std::atomic<bool> ready{true};
  RecordingObserver observer;
  std::unique_ptr<Server> server;
  std::unique_ptr<HttpClient> client;
};

void expect_problem(const HttpResponse& r, unsigned status, std::string_view code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.code(), code) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto body = r.json();
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body.at("status").as_int64(), static_cast<std::int64_t>(status));
  EXPECT_EQ(body.at("type").as_string(), "https://orderline.dev/problems/" + std::string(code));
  EXPECT_TRUE(body.as_object().contains("title"));
  EXPECT_TRUE(body.as_object().contains("detail"));
}

TEST_F(GatewayServer, HealthAndReadiness) {
  auto r = client->get("/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("status").as_string(), "ok");
  EXPECT_EQ(client->get("/readyz").json().at("status").as_string(), "ready");
  ready = false;
  r = client->get("/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json().at("status").as_string(), "not_ready");
  EXPECT_EQ(r.json().at("reason").as_string(), "read models behind");
}

TEST_F(GatewayServer, ReadinessListsEveryCheck) {
  auto r = client->get("/readyz");
  EXPECT_EQ(r.json().at("checks"), json::parse(R"({"event_log":"ok","read_models":"ok"})")) << r.body;
  ready = false;
  r = client->get("/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json().at("checks"), json::parse(R"({"event_log":"ok","read_models":"12 events behind"})")) << r.body;
}

TEST_F(GatewayServer, MetricsAreTheProvidersText) {
  auto r = client->get("/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "orderline_test_total 1\n");
}

TEST_F(GatewayServer, TheObserverSeesRouteTemplatesNotPaths) {
  ASSERT_EQ(client->get("/api/v1/orders/o-1").status, 404u);  // the fake read models know no order
  ASSERT_EQ(post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "k-obs"}}).status, 201u);
  ASSERT_EQ(client->get("/no/such/path").status, 404u);
  ASSERT_EQ(client->request("DELETE", "/healthz").status, 405u);
  const auto seen = observer.seen();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].route, "/api/v1/orders/{order_id}");
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].status, 404u);
  EXPECT_EQ(seen[1].route, "/api/v1/orders");
  EXPECT_EQ(seen[1].status, 201u);
  EXPECT_EQ(seen[2].route, kUnmatchedRoute);
  EXPECT_EQ(seen[3].route, kUnmatchedRoute);
  EXPECT_EQ(seen[3].method, "DELETE");
}

TEST_F(GatewayServer, TraceparentBecomesTheCorrelationId) {
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r = post("/api/v1/orders", kOrderBody,
                {{"Idempotency-Key", "k-trace"}, {"X-Request-Id", "req-7"},
                 {"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}});
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.header("x-request-id"), "req-7");  // still the client's request id
  EXPECT_EQ(bus.commands().back().correlation_id(), trace_id);
  // A malformed traceparent is ignored: the request id correlates.
  r = post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "k-trace-2"}, {"X-Request-Id", "req-8"},
                                          {"traceparent", "00-not-a-trace"}});
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(bus.commands().back().correlation_id(), "req-8");
}

TEST_F(GatewayServer, LogLevelChangesAtRunTimeForStaffOnly) {
  const auto before = spdlog::default_logger()->level();
  const testing::HeaderList auth = {{"Authorization", std::string("Bearer ") + kToken}};
  expect_problem(client->request("PUT", "/api/v1/admin/log-level", R"({"level":"debug"})", kNoAuth), 401,
                 "unauthorized");
  expect_problem(client->request("PUT", "/api/v1/admin/log-level", R"({"level":"loud"})", auth), 400,
                 "validation_failed");
  expect_problem(client->request("PUT", "/api/v1/admin/log-level", R"({"level":7})", auth), 400, "validation_failed");
  EXPECT_EQ(spdlog::default_logger()->level(), before);

  spdlog::set_level(spdlog::level::info);
  auto r = client->request("PUT", "/api/v1/admin/log-level", R"({"level":"debug"})", auth);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"level":"debug","previous":"info"})"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  r = client->request("PUT", "/api/v1/admin/log-level", R"({"level":"warn"})", auth);
  EXPECT_EQ(r.json(), json::parse(R"({"level":"warn","previous":"debug"})"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  spdlog::set_level(before);
}

TEST_F(GatewayServer, RequestIdsAreEchoedOrGenerated) {
  auto r = client->get("/healthz", {{"X-Request-Id", "trace-123"}});
  EXPECT_EQ(r.header("x-request-id"), "trace-123");
  r = client->get("/healthz");
  EXPECT_EQ(r.header("x-request-id").size(), 32u);
  r = client->get("/nope");
  EXPECT_FALSE(r.header("x-request-id").empty());
}

TEST_F(GatewayServer, UnknownRoutesAndWrongMethods) {
  expect_problem(client->get("/api/v1/nothing"), 404, "not_found");
  auto r = client->request("DELETE", "/api/v1/orders/x");
  expect_problem(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET");
  r = client->get("/api/v1/orders");
  expect_problem(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "POST");
  expect_problem(client->get("/api/v1/orders/x/cancel"), 405, "method_not_allowed");
}

TEST_F(GatewayServer, PlacesAnOrder) {
  auto r = post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(r.status, 201u) << r.body;
  auto body = r.json().as_object();
  const std::string order_id(body.at("order_id").as_string());
  EXPECT_EQ(order_id.size(), 36u);
  EXPECT_EQ(body.at("version").to_number<std::int64_t>(), 1);
  EXPECT_EQ(body.at("status").as_string(), "placed");
  auto position = eventstore::decode_position(body.at("position").as_string());
  ASSERT_TRUE(position);
  EXPECT_EQ(position->offsets, (std::map<std::uint32_t, std::uint64_t>{{3, 42}}));
  EXPECT_EQ(r.header("location"), "/api/v1/orders/" + order_id);

  auto commands = bus.commands();
  ASSERT_EQ(commands.size(), 1u);
  const auto& c = commands[0];
  EXPECT_EQ(c.command_id(), "place-" + order_id);
  EXPECT_EQ(c.stream_id(), "order-" + order_id);
  EXPECT_EQ(c.expected_version(), -1);
  EXPECT_EQ(c.request_hash().size(), 32u);
  EXPECT_GT(c.deadline_us(), c.issued_at_us());
  EXPECT_EQ(c.actor(), "service:admin");
  EXPECT_EQ(c.correlation_id(), r.header("x-request-id"));
  ASSERT_TRUE(c.has_place_order());
  EXPECT_EQ(c.place_order().order_id(), order_id);
  EXPECT_EQ(c.place_order().customer_id(), "c-1");
  EXPECT_EQ(c.place_order().lines(0).quantity(), 2);
}

TEST_F(GatewayServer, IdempotencyKeysDeriveTheSameIdsAndHashes) {
  // Same key, same body (keys in another order): same order and command ids, same hash.
  auto a = post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "same"}});
  auto b = post("/api/v1/orders",
                R"({"lines":[{"quantity":2,"sku":"COFFEE-1KG"}],"currency":"EUR","customer_id":"c-1"})",
                {{"Idempotency-Key", "same"}});
  auto c = post("/api/v1/orders", R"({"customer_id":"c-1","currency":"EUR","lines":[{"sku":"MUG","quantity":1}]})",
                {{"Idempotency-Key", "same"}});
  auto d = post("/api/v1/orders", kOrderBody);
  auto e = post("/api/v1/orders", kOrderBody);
  ASSERT_EQ(a.status, 201u);
  EXPECT_EQ(a.json().at("order_id"), b.json().at("order_id"));
  auto cmds = bus.commands();
  ASSERT_EQ(cmds.size(), 5u);
  EXPECT_EQ(cmds[0].command_id(), cmds[1].command_id());
  EXPECT_EQ(cmds[0].request_hash(), cmds[1].request_hash());
  EXPECT_EQ(cmds[0].command_id(), cmds[2].command_id());
  EXPECT_NE(cmds[0].request_hash(), cmds[2].request_hash());
  // Without a key every request is a new order.
  EXPECT_NE(d.json().at("order_id"), e.json().at("order_id"));
}

TEST_F(GatewayServer, RejectionsMapToStatuses) {
  bus.set_mode(FakeBus::Mode::reject, "idempotency_key_reused");
  expect_problem(post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "k"}}), 422, "idempotency_key_reused");
  bus.set_mode(FakeBus::Mode::reject, "unknown_sku");
  expect_problem(post("/api/v1/orders", kOrderBody), 422, "unknown_sku");
  bus.set_mode(FakeBus::Mode::reject, "version_conflict");
  expect_problem(post("/api/v1/orders/o-1/cancel", "", {{"If-Match", "2"}}), 409, "version_conflict");
  bus.set_mode(FakeBus::Mode::reject, "invalid_transition");
  expect_problem(post("/api/v1/orders/o-1/ship", ""), 409, "invalid_transition");
  bus.set_mode(FakeBus::Mode::reject, "not_found");
  expect_problem(post("/api/v1/orders/o-1/pay", ""), 404, "not_found");
  bus.set_mode(FakeBus::Mode::reject, "validation_failed", "lines[0].quantity");
  auto r = post("/api/v1/orders", kOrderBody);
  expect_problem(r, 400, "validation_failed");
  EXPECT_EQ(r.json().at("errors").at(0).at("field").as_string(), "lines[0].quantity");
}

TEST_F(GatewayServer, BusTroubleMapsToRetryableAnswers) {
  bus.set_mode(FakeBus::Mode::overloaded);
  auto r = post("/api/v1/orders", kOrderBody);
  expect_problem(r, 429, "rate_limited");
  EXPECT_EQ(r.header("retry-after"), "1");

  bus.set_mode(FakeBus::Mode::timed_out);
  r = post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "slow"}});
  expect_problem(r, 504, "outcome_unknown");
  EXPECT_EQ(r.json().at("command_id").as_string(), bus.commands().back().command_id());

  bus.set_mode(FakeBus::Mode::shutting_down);
  r = post("/api/v1/orders", kOrderBody);
  expect_problem(r, 503, "shutting_down");
  EXPECT_FALSE(r.header("retry-after").empty());

  bus.set_mode(FakeBus::Mode::failed);
  expect_problem(post("/api/v1/orders", kOrderBody), 503, "log_unavailable");
}

TEST_F(GatewayServer, ABusThatNeverAnswersGets504) {
  bus.set_mode(FakeBus::Mode::never);
  auto r = post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", "stuck"}});
  expect_problem(r, 504, "outcome_unknown");
  EXPECT_EQ(r.json().at("command_id").as_string(), bus.commands().back().command_id());
  // The connection stays usable, and the late reply is dropped.
  bus.answer_parked();
  EXPECT_EQ(client->get("/healthz").status, 200u);
}

TEST_F(GatewayServer, BadBodiesAreRefusedBeforeTheBus) {
  expect_problem(post("/api/v1/orders", "{not json"), 400, "validation_failed");
  expect_problem(post("/api/v1/orders", ""), 400, "validation_failed");
  expect_problem(post("/api/v1/orders", "[]"), 400, "validation_failed");
  auto r = post("/api/v1/orders", R"({"customer_id":"c-1","currency":"EUR","lines":[{"sku":"A","quantity":"2"}]})");
  expect_problem(r, 400, "validation_failed");
  EXPECT_EQ(r.json().at("errors").at(0).at("field").as_string(), "lines[0].quantity");
  EXPECT_EQ(r.json().at("errors").at(0).at("message").as_string(), "must be an integer");
  r = post("/api/v1/orders", R"({"customer_id":"c-1","currency":"EUR","lines":[{"sku":"A","quantity":99999999999}]})");
  expect_problem(r, 400, "validation_failed");
  r = post("/api/v1/orders", R"({"currency":"EUR","lines":[{"sku":"A","quantity":1}]})");
  EXPECT_EQ(r.json().at("errors").at(0).at("field").as_string(), "customer_id");
  expect_problem(post("/api/v1/orders", kOrderBody, {{"Content-Type", "text/plain"}}), 415, "unsupported_media_type");
  expect_problem(post("/api/v1/orders", kOrderBody, {{"Content-Type", ""}}), 415, "unsupported_media_type");
  EXPECT_EQ(post("/api/v1/orders", kOrderBody, {{"Content-Type", "application/json; charset=utf-8"}}).status, 201u);
  expect_problem(post("/api/v1/orders", kOrderBody, {{"Idempotency-Key", std::string(300, 'k')}}), 400,
                 "validation_failed");
  EXPECT_EQ(bus.commands().size(), 1u);  // only the well-formed one
}

TEST_F(GatewayServer, OversizedBodiesGet413) {
  std::string big = R"({"customer_id":")" + std::string(8000, 'x') + R"(","currency":"EUR","lines":[]})";
  auto r = post("/api/v1/orders", big);
  expect_problem(r, 413, "payload_too_large");
  EXPECT_EQ(r.header("connection"), "close");
  // The client reconnects; the server is fine.
  EXPECT_EQ(client->get("/healthz").status, 200u);
  // Far beyond the limit: the server answers, then drains what the client still sends.
  expect_problem(post("/api/v1/orders", std::string(2 * 1024 * 1024, ' ')), 413, "payload_too_large");
  EXPECT_EQ(client->get("/healthz").status, 200u);
  EXPECT_TRUE(bus.commands().empty());
}

TEST_F(GatewayServer, MalformedHttpGets400) {
  auto r = testing::send_raw(server->port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(r.status, 400u);
  r = testing::send_raw(server->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n");
  EXPECT_EQ(r.status, 400u);
  r = testing::send_raw(server->port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 200u);
}

TEST_F(GatewayServer, PipelinedRequestsAreAnsweredInOrder) {
  auto r = testing::send_raw(server->port(),
                             "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 404u);  // the first answer; the second follows on the same connection
}

TEST_F(GatewayServer, OrderActionsCarryIfMatchAndIds) {
  auto r = post("/api/v1/orders/o-1/cancel", R"({"reason":"changed my mind"})", {{"If-Match", "\"3\""}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("order_id").as_string(), "o-1");
  auto c = bus.commands().back();
  EXPECT_EQ(c.expected_version(), 3);
  EXPECT_EQ(c.stream_id(), "order-o-1");
  ASSERT_TRUE(c.has_cancel_order());
  EXPECT_EQ(c.cancel_order().reason(), "changed my mind");

  expect_problem(post("/api/v1/orders/o-1/cancel", "", {{"If-Match", "three"}}), 400, "validation_failed");

  // With a key, action command ids are stable; without, fresh.
  post("/api/v1/orders/o-1/pay", "", {{"Idempotency-Key", "p"}});
  post("/api/v1/orders/o-1/pay", "", {{"Idempotency-Key", "p"}});
  post("/api/v1/orders/o-1/ship", "", {{"Idempotency-Key", "p"}});
  post("/api/v1/orders/o-1/deliver", "");
  post("/api/v1/orders/o-1/deliver", "");
  auto cmds = bus.commands();
  const auto n = cmds.size();
  EXPECT_EQ(cmds[n - 5].command_id(), cmds[n - 4].command_id());
  EXPECT_NE(cmds[n - 4].command_id(), cmds[n - 3].command_id());
  EXPECT_NE(cmds[n - 2].command_id(), cmds[n - 1].command_id());
  EXPECT_TRUE(cmds[n - 5].has_pay_order());
  EXPECT_TRUE(cmds[n - 3].has_ship_order());
  EXPECT_TRUE(cmds[n - 1].has_deliver_order());
  EXPECT_EQ(cmds[n - 5].expected_version(), -1);
}

TEST_F(GatewayServer, ReturnsNameTheirReturnId) {
  auto r = post("/api/v1/orders/o-1/return", R"({"reason":"broken"})", {{"Idempotency-Key", "ret"}});
  ASSERT_EQ(r.status, 200u);
  const std::string return_id(r.json().at("return_id").as_string());
  EXPECT_EQ(bus.commands().back().request_return().return_id(), return_id);
  // A retry names the same return.
  EXPECT_EQ(post("/api/v1/orders/o-1/return", R"({"reason":"broken"})", {{"Idempotency-Key", "ret"}})
                .json()
                .at("return_id")
                .as_string(),
            return_id);
  r = post("/api/v1/orders/o-1/return", R"({"return_id":"mine"})");
  EXPECT_EQ(r.json().at("return_id").as_string(), "mine");
  r = post("/api/v1/orders/o-1/returns/mine/receive", "");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("return_id").as_string(), "mine");
  auto c = bus.commands().back();
  ASSERT_TRUE(c.has_receive_return());
  EXPECT_EQ(c.receive_return().return_id(), "mine");
  EXPECT_EQ(c.receive_return().order_id(), "o-1");
}

TEST_F(GatewayServer, CustomersRegister) {
  auto r = post("/api/v1/customers", R"({"email":"a@example.com","name":"Ada"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  const std::string id(r.json().at("customer_id").as_string());
  auto c = bus.commands().back();
  EXPECT_EQ(c.stream_id(), "customer-" + id);
  EXPECT_EQ(c.register_customer().customer_id(), id);
  // Personal data only ever leaves the gateway sealed with the customer's own key.
  EXPECT_EQ(c.register_customer().email(), "");
  EXPECT_EQ(c.register_customer().name(), "");
  EXPECT_GT(c.register_customer().sealed_personal_data().size(), 40u);
  EXPECT_EQ(c.register_customer().sealed_personal_data().find("a@example.com"), std::string::npos);
  auto k1 = post("/api/v1/customers", R"({"email":"a@example.com","name":"Ada"})", {{"Idempotency-Key", "ck"}});
  auto k2 = post("/api/v1/customers", R"({"email":"a@example.com","name":"Ada"})", {{"Idempotency-Key", "ck"}});
  EXPECT_EQ(k1.json().at("customer_id"), k2.json().at("customer_id"));
  auto bad = post("/api/v1/customers", R"({"email":1})");
  expect_problem(bad, 400, "validation_failed");
  EXPECT_EQ(bad.json().at("errors").as_array().size(), 2u);
}

v1::OrderView sample_order() {
  v1::OrderView v;
  v.set_order_id("o-1");
  v.set_customer_id("c-1");
  v.set_status("placed");
  v.set_payment_status("not_paid");
  v.set_fulfillment_status("unfulfilled");
  v.set_version(1);
  v.mutable_total()->set_amount_minor(3998);
  v.mutable_total()->set_currency("EUR");
  return v;
}

TEST_F(GatewayServer, ReadsOrders) {
  expect_problem(client->get("/api/v1/orders/o-1"), 404, "not_found");
  read_models.put_order(sample_order());
  auto r = client->get("/api/v1/orders/o-1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("status").as_string(), "placed");
  EXPECT_EQ(r.json().at("total").at("amount_minor").as_int64(), 3998);
  EXPECT_EQ(r.header("etag"), "\"1\"");

  auto list = client->get("/api/v1/customers/c-1/orders");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.json().at("items").as_array().size(), 1u);
  EXPECT_TRUE(list.json().at("next_cursor").is_null());
  expect_problem(client->get("/api/v1/customers/c-1/orders?cursor=bad"), 400, "validation_failed");
  expect_problem(client->get("/api/v1/customers/c-1/orders?limit=x"), 400, "validation_failed");
  expect_problem(client->get("/api/v1/customers/nobody/orders"), 404, "not_found");
}

TEST_F(GatewayServer, ReadsWaitForPositions) {
  read_models.put_order(sample_order());
  eventstore::PositionVector want;
  want.offsets[2] = 10;
  const auto token = eventstore::encode_position(want);

  expect_problem(client->get("/api/v1/orders/o-1?after=garbage"), 400, "validation_failed");
  auto r = client->get("/api/v1/orders/o-1?after=" + token);
  expect_problem(r, 503, "not_caught_up");
  EXPECT_TRUE(eventstore::decode_position(r.json().at("position").as_string()));

  // Catches up while the request waits (a long read_wait: no race with a slow machine).
  stop();
  start(kToken, std::chrono::seconds(30));
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    read_models.set_checkpoint(2, 10);
  });
  r = client->get("/api/v1/orders/o-1?after=" + token);
  later.join();
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(client->get("/api/v1/orders/o-1?after=" + token).status, 200u);
}

TEST_F(GatewayServer, ReadsProducts) {
  v1::ProductView a;
  a.set_sku("A");
  a.set_name("Apple");
  a.set_on_hand(10);
  a.set_committed(4);
  a.set_active(true);
  read_models.put_product(a);
  a.set_sku("B");
  read_models.put_product(a);
  auto r = client->get("/api/v1/products?limit=1");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(r.json().at("items").at(0).at("available").as_int64(), 6);
  EXPECT_EQ(r.json().at("next_cursor").as_string(), "next");
  r = client->get("/api/v1/products?cursor=next");
  EXPECT_EQ(r.json().at("items").at(0).at("sku").as_string(), "B");
  expect_problem(client->get("/api/v1/products?cursor=zzz"), 400, "validation_failed");
  expect_problem(client->get("/api/v1/products?limit=0"), 400, "validation_failed");
  EXPECT_EQ(client->get("/api/v1/products?limit=100000").status, 200u);
  EXPECT_EQ(client->get("/api/v1/products/A").json().at("name").as_string(), "Apple");
  expect_problem(client->get("/api/v1/products/ZZZ"), 404, "not_found");
}

TEST_F(GatewayServer, OrderEventsComeFromTheLog) {
  expect_problem(client->get("/api/v1/orders/o-9/events"), 404, "not_found");
  v1::EventPayload payload;
  payload.mutable_order_placed()->set_order_id("o-9");
  v1::EventEnvelope envelope;
  envelope.set_stream_id("order-o-9");
  envelope.set_stream_version(1);
  envelope.set_type("OrderPlaced");
  envelope.set_occurred_at_us(1'000'000);
  payload.SerializeToString(envelope.mutable_payload());
  log.records.push_back({5, 17, 0, "order-o-9", envelope.SerializeAsString()});
  auto r = client->get("/api/v1/orders/o-9/events");
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto doc = r.json();
  const auto& item = doc.at("items").at(0);
  EXPECT_EQ(item.at("type").as_string(), "OrderPlaced");
  EXPECT_EQ(item.at("occurred_at").as_string(), "1970-01-01T00:00:01.000000Z");
  EXPECT_EQ(item.at("data").at("order_id").as_string(), "o-9");
  auto position = eventstore::decode_position(item.at("position").as_string());
  ASSERT_TRUE(position);
  EXPECT_EQ(position->offsets.at(5), 18u);
  EXPECT_TRUE(r.json().at("next_cursor").is_null());
}

TEST_F(GatewayServer, StaffRoutesNeedTheToken) {
  const char* body = R"({"sku":"NEW-1","name":"New","price":{"amount_minor":500,"currency":"EUR"},"stock":3})";
  auto r = post("/api/v1/admin/products", body, kNoAuth);
  expect_problem(r, 401, "unauthorized");
  EXPECT_TRUE(r.header("www-authenticate").starts_with("Bearer"));
  // A token that is not ours, or not a bearer token: 401 too (403 is for a good token
  // without the role).
  expect_problem(post("/api/v1/admin/products", body, {{"Authorization", "Bearer wrong"}}), 401, "unauthorized");
  expect_problem(post("/api/v1/admin/products", body, {{"Authorization", "Basic czNjcmV0"}}), 401, "unauthorized");
  EXPECT_TRUE(bus.commands().empty());

  const testing::HeaderList auth = {{"Authorization", std::string("Bearer ") + kToken}};
  r = post("/api/v1/admin/products", body, auth);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.json().at("sku").as_string(), "NEW-1");
  auto c = bus.commands().back();
  EXPECT_EQ(c.stream_id(), "product-NEW-1");
  EXPECT_EQ(c.create_product().stock(), 3);
  EXPECT_EQ(c.actor(), "service:admin");

  r = post("/api/v1/admin/products/NEW-1/price", R"({"price":{"amount_minor":600,"currency":"EUR"}})", auth);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(bus.commands().back().change_price().price().amount_minor(), 600);
  EXPECT_EQ(bus.commands().back().change_price().sku(), "NEW-1");
  r = post("/api/v1/admin/products/NEW-1/restock", R"({"quantity":7})", auth);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(bus.commands().back().restock().quantity(), 7);
  r = post("/api/v1/admin/products/NEW-1/discontinue", "", auth);
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(bus.commands().back().has_discontinue());
  expect_problem(post("/api/v1/admin/products/NEW-1/restock", R"({"quantity":"7"})", auth), 400, "validation_failed");
  expect_problem(post("/api/v1/admin/products/NEW-1/price", "", auth), 400, "validation_failed");
}

TEST_F(GatewayServer, StaffRoutesRefuseWithoutAConfiguredToken) {
  stop();
  start("");
  // No service token configured: no bearer value is one, not even an empty one.
  auto r = post("/api/v1/admin/products/X/restock", R"({"quantity":1})", {{"Authorization", "Bearer "}});
  expect_problem(r, 401, "unauthorized");
  expect_problem(post("/api/v1/admin/products/X/restock", R"({"quantity":1})", {{"Authorization", "Bearer s3cret-token"}}),
                 401, "unauthorized");
}

TEST_F(GatewayServer, ConnectionsBeyondTheLimitGet503) {
  stop();
  start(kToken, std::chrono::milliseconds(100), 1);
  ASSERT_EQ(client->get("/healthz").status, 200u);  // holds the one connection
  auto r = testing::send_raw(server->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.code(), "too_many_connections");
  EXPECT_EQ(client->get("/healthz").status, 200u);
}

TEST_F(GatewayServer, StopsWithIdleKeepAliveConnectionsOpen) {
  HttpClient other(server->port());
  EXPECT_EQ(other.get("/healthz").status, 200u);
  EXPECT_EQ(client->get("/healthz").status, 200u);
  const auto started = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

}  // namespace
}  // namespace orderline::gateway
