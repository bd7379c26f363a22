// Live order updates over WebSocket (/api/v1/stream) and read-your-writes (after=), against
// the real binary: subscriptions, per-order ordering, resume after a disconnect without a gap
// or a duplicate, the slow-consumer cut-off, hostile frames, the Origin check, staff-only
// "all", heartbeats, and the metrics of it all. In every deployment (tests/support/
// e2e_server.h): ctest's stream_test (`orderd serve`, embedded log), stream_test_kafka
// (`orderd serve` on Kafka) and stream_test_distributed (`orderd gateway` + `orderd processor`;
// there also a resume that moves from one gateway to another).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "eventstore/position.h"
#include "tests/support/auth.h"
#include "tests/support/e2e_server.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/ws_client.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::WsClient;
using testing::WsOptions;

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }
std::int64_t num(const json::value& v, std::string_view key) { return v.at(key).to_number<std::int64_t>(); }

std::string subscribe_frame(std::string_view kind, const std::string& id, const std::string& from = "") {
  json::object frame{{"op", "subscribe"}};
  if (kind == "all") frame["all"] = true;
  else frame[kind] = id;
  if (!from.empty()) frame["from"] = from;
  return json::serialize(frame);
}

// A value of an unlabelled series in /metrics text (-1 when absent).
double metric(HttpClient& http, std::string_view name) {
  auto r = http.get("/metrics");
  std::size_t at = 0;
  while ((at = r.body.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || r.body[at - 1] == '\n';
    const auto after = at + name.size();
    if (line_start && after < r.body.size() && r.body[after] == ' ') return std::stod(r.body.substr(after + 1));
    at = after;
  }
  return -1;
}

class Orders {
 public:
  explicit Orders(std::uint16_t port) : http_(port) { http_.set_default_headers(testing::admin_bearer()); }

  HttpClient& http() { return http_; }

  std::string new_customer() {
    auto r = http_.post("/api/v1/customers", R"({"email":"grace@example.com","name":"Grace Hopper"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    return str(r.json(), "customer_id");
  }
  json::value place(const std::string& customer_id) {
    auto r = http_.post("/api/v1/orders",
                        R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                        {{"Idempotency-Key", "k-" + std::to_string(++keys_) + "-" + customer_id}});
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.json();
  }
  json::value act(const std::string& order_id, const std::string& action, const std::string& body = "") {
    auto r = http_.post("/api/v1/orders/" + order_id + "/" + action, body);
    EXPECT_EQ(r.status, 200u) << action << ": " << r.body;
    return r.json();
  }

 private:
  HttpClient http_;
  int keys_ = 0;
};

class StreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // Without the saga: these tests drive each step themselves (pay, ship, deliver) to know
    // what must be pushed; StreamWithSaga below watches the saga's own steps.
    server_ = new testing::E2eServer(dir_->path(), "stream", {"--ws-allowed-origin", "http://shop.example", "--no-saga"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { orders_ = std::make_unique<Orders>(server_->port()); }

  std::uint16_t port() const { return server_->port(); }
  Orders& orders() { return *orders_; }

  // Subscribes and returns the acknowledgement.
  json::value subscribe(WsClient& ws, const std::string& frame) {
    ws.send(frame);
    auto ack = ws.read_json();
    EXPECT_TRUE(ack.is_object()) << "no answer to " << frame;
    if (ack.is_object()) {
      EXPECT_EQ(str(ack, "type"), "subscribed") << json::serialize(ack);
    }
    return ack;
  }

  // The next `n` frames, each an order update.
  std::vector<json::value> updates(WsClient& ws, std::size_t n) {
    std::vector<json::value> out;
    while (out.size() < n) {
      auto frame = ws.read_json();
      if (!frame.is_object()) {
        ADD_FAILURE() << "expected " << n << " updates, got " << out.size();
        break;
      }
      EXPECT_NE(str(frame, "type"), "error") << json::serialize(frame);
      out.push_back(std::move(frame));
    }
    return out;
  }

  void expect_error(WsClient& ws, const std::string& frame, std::string_view code) {
    ws.send(frame);
    auto answer = ws.read_json();
    ASSERT_TRUE(answer.is_object()) << "no answer to " << frame;
    EXPECT_EQ(str(answer, "type"), "error") << json::serialize(answer);
    EXPECT_EQ(str(answer, "code"), code) << json::serialize(answer);
    EXPECT_FALSE(str(answer, "detail").empty());
  }

  static testing::TempDir* dir_;
  static testing::E2eServer* server_;
  std::unique_ptr<Orders> orders_;
};

testing::TempDir* StreamTest::dir_ = nullptr;
testing::E2eServer* StreamTest::server_ = nullptr;

TEST_F(StreamTest, ACustomerSeesEveryStepOfAnOrderInOrder) {
  const auto customer = orders().new_customer();
  WsClient ws(port());
  subscribe(ws, subscribe_frame("customer_id", customer));

  const auto placed = orders().place(customer);
  const auto order_id = str(placed, "order_id");
  orders().act(order_id, "pay");
  orders().act(order_id, "ship");
  const auto delivered = orders().act(order_id, "deliver");

  const auto seen = updates(ws, 4);
  ASSERT_EQ(seen.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"OrderPlaced", "placed"}, {"OrderPaid", "confirmed"}, {"OrderShipped", "confirmed"}, {"OrderDelivered", "completed"}};
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(str(seen[i], "type"), expected[i].first);
    EXPECT_EQ(str(seen[i], "status"), expected[i].second);
    EXPECT_EQ(str(seen[i], "order_id"), order_id);
    EXPECT_EQ(str(seen[i], "customer_id"), customer);
    EXPECT_EQ(num(seen[i], "version"), static_cast<std::int64_t>(i + 1));
    EXPECT_TRUE(eventstore::decode_position(str(seen[i], "position")));
    EXPECT_EQ(str(seen[i], "at").back(), 'Z');
  }
  EXPECT_EQ(str(seen[3], "payment_status"), "captured");
  EXPECT_EQ(str(seen[3], "fulfillment_status"), "delivered");
  // A pushed position is a read-your-writes token: the order read with it shows that step.
  auto read = orders().http().get("/api/v1/orders/" + order_id + "?after=" + str(seen[1], "position"));
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_GE(num(read.json(), "version"), 2);
  // ...and it covers the command's own position.
  auto pushed = eventstore::decode_position(str(seen[3], "position"));
  auto acked = eventstore::decode_position(str(delivered, "position"));
  ASSERT_TRUE(pushed && acked);
  EXPECT_TRUE(pushed->covers(*acked));
}

TEST_F(StreamTest, AnOrderSubscriptionSeesOnlyThatOrderAndStopsAfterUnsubscribe) {
  const auto customer = orders().new_customer();
  const auto placed = orders().place(customer);
  const auto mine = str(placed, "order_id");
  const auto other = str(orders().place(customer), "order_id");
  WsClient ws(port());
  // From the placement's position: its OrderPlaced is not pushed even when the projector has
  // not folded it yet (without `from`, live updates start wherever the read models are).
  subscribe(ws, subscribe_frame("order_id", mine, str(placed, "position")));
  orders().act(other, "pay");
  orders().act(mine, "pay");
  auto seen = updates(ws, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(str(seen[0], "order_id"), mine);
  EXPECT_EQ(str(seen[0], "type"), "OrderPaid");

  ws.send(R"({"op":"unsubscribe","order_id":")" + mine + "\"}");
  auto ack = ws.read_json();
  ASSERT_TRUE(ack.is_object());
  EXPECT_EQ(str(ack, "type"), "unsubscribed");
  orders().act(mine, "ship");
  // Nothing more for `mine`: the next frame is the answer to the next request.
  expect_error(ws, R"({"op":"unsubscribe","order_id":")" + mine + "\"}", "unknown_subscription");
}

TEST_F(StreamTest, ResumeReplaysWhatWasMissedWithoutDuplicates) {
  const auto customer = orders().new_customer();
  std::string first_order;
  std::string resume_from;
  {
    WsClient ws(port());
    subscribe(ws, subscribe_frame("customer_id", customer));
    first_order = str(orders().place(customer), "order_id");
    orders().act(first_order, "pay");
    auto seen = updates(ws, 2);
    ASSERT_EQ(seen.size(), 2u);
    resume_from = str(seen[1], "position");
  }  // disconnected

  // While away: two more steps of the first order, a second order, and others' orders.
  orders().act(first_order, "ship");
  orders().act(first_order, "deliver");
  const auto second_order = str(orders().place(customer), "order_id");
  const auto stranger = orders().new_customer();
  for (int i = 0; i < 5; ++i) orders().place(stranger);

  WsClient ws(port());
  subscribe(ws, subscribe_frame("customer_id", customer, resume_from));
  auto missed = updates(ws, 3);
  ASSERT_EQ(missed.size(), 3u);
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const auto& m : missed) got.emplace_back(str(m, "order_id"), num(m, "version"));
  // Per order in log order; the two orders may interleave by partition.
  std::map<std::string, std::vector<std::int64_t>> versions;
  for (const auto& [order, version] : got) versions[order].push_back(version);
  EXPECT_EQ(versions[first_order], (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(versions[second_order], (std::vector<std::int64_t>{1}));
  EXPECT_EQ(versions.size(), 2u);

  // Then live, with nothing replayed twice: the next frame is the next change.
  orders().act(second_order, "pay");
  auto live = updates(ws, 1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(str(live[0], "order_id"), second_order);
  EXPECT_EQ(num(live[0], "version"), 2);

  // Resuming from the last frame after that replays nothing.
  const auto last = str(live[0], "position");
  ws.close();
  WsClient again(port());
  subscribe(again, subscribe_frame("customer_id", customer, last));
  orders().act(second_order, "ship");
  auto next = updates(again, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(str(next[0], "type"), "OrderShipped");
  EXPECT_EQ(num(next[0], "version"), 3);
}

TEST_F(StreamTest, ResumeWhileOrdersKeepChangingHasNoGapAndNoDuplicate) {
  const auto customer = orders().new_customer();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(str(orders().place(customer), "order_id"));
  // From the very start of the log: everything of this customer is replayed.
  const std::string from = eventstore::encode_position({});

  // Changes race with the subscriptions' replays: several clients resume one after another
  // while they happen (live updates arriving during a replay are held, then follow it).
  std::atomic<bool> written{false};
  std::thread writer([&] {
    Orders other(port());
    for (int round = 0; round < 3; ++round) {
      for (const auto& id : ids) other.act(id, round == 0 ? "pay" : round == 1 ? "ship" : "deliver");
    }
    written.store(true);
  });
  std::vector<std::unique_ptr<WsClient>> clients;
  do {
    clients.push_back(std::make_unique<WsClient>(port()));
    subscribe(*clients.back(), subscribe_frame("customer_id", customer, from));
  } while (!written.load() && clients.size() < 12);
  writer.join();
  // A last change of each order, live for every client: once it has arrived, everything of that
  // order before it has (updates keep log order per order; a replay comes before live updates).
  // Orders of different partitions have no order between them, so one sentinel order would not do.
  for (const auto& id : ids) orders().act(id, "return", R"({"reason":"sentinel"})");

  for (auto& ws : clients) {
    std::map<std::string, std::vector<std::int64_t>> versions;
    std::size_t finished = 0;
    while (finished < ids.size()) {
      auto frame = ws->read_json();
      ASSERT_TRUE(frame.is_object()) << "the stream stopped before every order's last change; " << finished << " arrived";
      ASSERT_NE(str(frame, "type"), "error") << json::serialize(frame);
      versions[str(frame, "order_id")].push_back(num(frame, "version"));
      if (str(frame, "type") == "OrderReturnRequested") ++finished;
    }
    ASSERT_EQ(versions.size(), ids.size());
    for (const auto& id : ids) EXPECT_EQ(versions[id], (std::vector<std::int64_t>{1, 2, 3, 4, 5})) << id;
  }
}

// A staff resume of every order reads the log partition by partition (on Kafka: through the
// transaction markers between commits). A command answer's position names one partition; the
// others count from the beginning, so this replays the suite's whole history there too.
TEST_F(StreamTest, AResumeOfEveryOrderReplaysWhatWasMissed) {
  const auto customer = orders().new_customer();
  const auto placed = orders().place(customer);
  const auto id = str(placed, "order_id");
  orders().act(id, "pay");
  const auto shipped = orders().act(id, "ship");
  // The read models (and so the hub) have folded the ship before the resume: it is replayed.
  ASSERT_EQ(orders().http().get("/api/v1/orders/" + id + "?after=" + str(shipped, "position")).status, 200u);
  WsClient ws(port(), WsOptions{"/api/v1/stream", {{"Authorization", std::string("Bearer ") + testing::OrderdProcess::kAdminToken}}, 0});
  subscribe(ws, subscribe_frame("all", "", str(placed, "position")));
  std::vector<std::string> types;
  for (int frames = 0; frames < 10000 && types.size() < 2; ++frames) {
    auto frame = ws.read_json();
    ASSERT_TRUE(frame.is_object()) << "after " << frames << " frames, this order's: " << types.size();
    ASSERT_NE(str(frame, "type"), "error") << json::serialize(frame);
    if (str(frame, "order_id") == id) types.push_back(str(frame, "type"));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"OrderPaid", "OrderShipped"}));
}

TEST_F(StreamTest, HostileFramesGetErrorFramesAndTheConnectionStaysUsable) {
  const auto customer = orders().new_customer();
  const auto placed = orders().place(customer);
  const auto order_id = str(placed, "order_id");
  WsClient ws(port());
  expect_error(ws, "not json", "malformed_frame");
  expect_error(ws, "[1,2]", "malformed_frame");
  expect_error(ws, std::string(40, '['), "malformed_frame");
  expect_error(ws, R"({"op":"subscribe"})", "unknown_subscription");
  expect_error(ws, R"({"op":"subscribe","product":"COFFEE-1KG"})", "unknown_subscription");
  expect_error(ws, R"({"op":"explode","order_id":"x"})", "validation_failed");
  expect_error(ws, R"({"order_id":"x"})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":42})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":""})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":")" + std::string(201, 'x') + "\"}", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":"a","customer_id":"b"})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","all":false})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":")" + order_id + R"(","from":"garbage"})", "validation_failed");
  expect_error(ws, R"({"op":"subscribe","order_id":"no-such-order"})", "not_found");
  expect_error(ws, R"({"op":"subscribe","customer_id":"no-such-customer"})", "not_found");
  expect_error(ws, R"({"op":"unsubscribe","order_id":")" + order_id + "\"}", "unknown_subscription");
  ws.send_binary(std::string("\x01\x02", 2));
  auto binary = ws.read_json();
  ASSERT_TRUE(binary.is_object());
  EXPECT_EQ(str(binary, "code"), "malformed_frame");

  // Still a working connection (from the placement on, as above).
  subscribe(ws, subscribe_frame("order_id", order_id, str(placed, "position")));
  expect_error(ws, subscribe_frame("order_id", order_id), "already_subscribed");
  orders().act(order_id, "cancel");
  auto seen = updates(ws, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(str(seen[0], "status"), "cancelled");

  // A frame over the size limit ends the connection (close 1009, message too big).
  ws.send(R"({"op":"subscribe","order_id":")" + std::string(8000, 'x') + "\"}");
  EXPECT_FALSE(ws.read(std::chrono::seconds(20)));
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(ws.close_code(), 1009);
}

TEST_F(StreamTest, EveryOrderIsForStaffOnly) {
  WsClient anonymous(port());
  expect_error(anonymous, R"({"op":"subscribe","all":true})", "unauthorized");
  expect_error(anonymous, R"({"op":"subscribe","all":true,"token":"wrong"})", "unauthorized");
  subscribe(anonymous, std::string(R"({"op":"subscribe","all":true,"token":")") + testing::OrderdProcess::kAdminToken + "\"}");

  WsClient staff(port(), WsOptions{"/api/v1/stream", {{"Authorization", std::string("Bearer ") + testing::OrderdProcess::kAdminToken}}, 0});
  subscribe(staff, R"({"op":"subscribe","all":true})");
  const auto a = str(orders().place(orders().new_customer()), "order_id");
  const auto b = str(orders().place(orders().new_customer()), "order_id");
  for (auto* ws : {&anonymous, &staff}) {
    // Every order's updates: both new orders (and whatever else the suite's server does).
    std::set<std::string> seen;
    for (int frames = 0; frames < 100 && !(seen.count(a) && seen.count(b)); ++frames) {
      auto frame = ws->read_json();
      ASSERT_TRUE(frame.is_object()) << "no update for one of the new orders";
      ASSERT_NE(str(frame, "type"), "error") << json::serialize(frame);
      seen.insert(str(frame, "order_id"));
    }
    EXPECT_TRUE(seen.count(a) && seen.count(b));
  }
}

TEST_F(StreamTest, ACustomerTokenFollowsOnlyThatCustomersOrders) {
  HttpClient http(port());
  const std::string tag = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const auto alice = testing::register_and_login(http, "stream-alice-" + tag + "@example.com", "Alice");
  ASSERT_FALSE(alice.customer_id.empty());
  auto placed = http.post("/api/v1/orders",
                          R"({"customer_id":")" + alice.customer_id +
                              R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                          testing::bearer(alice.access_token));
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto own = str(placed.json(), "order_id");
  // In the read models before subscribing (the ownership check reads them).
  ASSERT_EQ(http.get("/api/v1/orders/" + own + "?after=" + str(placed.json(), "position"),
                     testing::bearer(alice.access_token))
                .status,
            200u);
  const auto other_customer = orders().new_customer();
  const auto other = str(orders().place(other_customer), "order_id");
  orders().http().get("/api/v1/orders/" + other);

  auto with_token = [&](std::string frame) {
    frame.pop_back();  // the closing brace
    return frame + R"(,"token":")" + alice.access_token + "\"}";
  };
  WsClient ws(port());
  subscribe(ws, with_token(subscribe_frame("order_id", own)));
  subscribe(ws, with_token(subscribe_frame("customer_id", alice.customer_id)));
  expect_error(ws, with_token(subscribe_frame("order_id", other)), "not_found");
  expect_error(ws, with_token(subscribe_frame("customer_id", other_customer)), "not_found");
  expect_error(ws, with_token(subscribe_frame("all", "")), "forbidden");
  // The same token on the upgrade request.
  WsClient upgraded(port(), WsOptions{"/api/v1/stream", {{"Authorization", "Bearer " + alice.access_token}}, 0});
  expect_error(upgraded, subscribe_frame("order_id", other), "not_found");
  subscribe(upgraded, subscribe_frame("order_id", own));
}

TEST_F(StreamTest, TheOriginIsChecked) {
  const std::string upgrade = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port()) +
                              "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  auto refused = testing::send_raw(port(), upgrade + "Origin: http://evil.example\r\n\r\n");
  EXPECT_EQ(refused.status, 403u) << refused.body;
  EXPECT_EQ(refused.code(), "origin_not_allowed");
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");

  EXPECT_EQ(testing::send_raw(port(), upgrade + "Origin: http://shop.example\r\n\r\n").status, 101u);
  EXPECT_EQ(testing::send_raw(port(), upgrade + "Origin: http://127.0.0.1:" + std::to_string(port()) + "\r\n\r\n").status,
            101u);
  EXPECT_EQ(testing::send_raw(port(), upgrade + "\r\n").status, 101u);  // not a browser
  EXPECT_THROW(WsClient(port(), WsOptions{"/api/v1/stream", {{"Origin", "https://shop.example.evil"}}, 0}),
               std::runtime_error);

  // A plain GET is told to upgrade.
  auto plain = orders().http().get("/api/v1/stream");
  EXPECT_EQ(plain.status, 426u);
  EXPECT_EQ(plain.code(), "upgrade_required");
}

TEST_F(StreamTest, ReadYourWritesRightAfterEachCommand) {
  const auto customer = orders().new_customer();
  for (int i = 0; i < 30; ++i) {
    const auto placed = orders().place(customer);
    const auto id = str(placed, "order_id");
    auto read = orders().http().get("/api/v1/orders/" + id + "?after=" + str(placed, "position"));
    ASSERT_EQ(read.status, 200u) << read.body;
    EXPECT_EQ(num(read.json(), "version"), 1);
    const auto paid = orders().act(id, "pay");
    read = orders().http().get("/api/v1/orders/" + id + "?after=" + str(paid, "position"));
    ASSERT_EQ(read.status, 200u) << read.body;
    EXPECT_EQ(num(read.json(), "version"), 2);
    EXPECT_EQ(str(read.json(), "status"), "confirmed");
  }
  // The customer's list too.
  auto last = orders().place(customer);
  auto list = orders().http().get("/api/v1/customers/" + customer + "/orders?limit=200&after=" + str(last, "position"));
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.json().at("items").as_array().size(), 31u);
}

TEST_F(StreamTest, MetricsCountConnectionsAndPushes) {
  auto& http = orders().http();
  const auto pushed_before = metric(http, "orderline_ws_messages_pushed_total");
  ASSERT_GE(pushed_before, 0);
  const auto customer = orders().new_customer();
  {
    WsClient ws(port());
    subscribe(ws, subscribe_frame("customer_id", customer));
    EXPECT_GE(metric(http, "orderline_ws_connections"), 1);
    orders().place(customer);
    ASSERT_EQ(updates(ws, 1).size(), 1u);
    // Counted when the server's write completes, which may be just after the client read it.
    double pushed = 0;
    for (int i = 0; i < 200 && (pushed = metric(http, "orderline_ws_messages_pushed_total")) < pushed_before + 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GE(pushed, pushed_before + 1);
  }
  auto metrics = http.get("/metrics").body;
  EXPECT_NE(metrics.find("orderline_ws_slow_consumers_total"), std::string::npos);
  EXPECT_NE(metrics.find("orderline_ws_error_frames_total"), std::string::npos);
}

// A server of its own: a small outbound queue, so a client that stops reading is cut off
// soon, while one that reads (in bursts of 50) is not.
TEST(StreamSlowConsumer, IsCutOffWithAReasonAndOthersCarryOn) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream", {"--ws-queue-limit", "16", "--ws-send-buffer", "8192", "--no-saga"});
  Orders orders(server.port());
  const auto customer = orders.new_customer();

  // Reads nothing, with a small receive buffer so the server's writes back up quickly.
  WsClient slow(server.port(),
                WsOptions{"/api/v1/stream", {{"Authorization", std::string("Bearer ") + testing::OrderdProcess::kAdminToken}}, 4096});
  slow.send(R"({"op":"subscribe","all":true})");
  WsClient healthy(server.port());
  healthy.send(subscribe_frame("customer_id", customer));
  ASSERT_EQ(str(healthy.read_json(), "type"), "subscribed");

  int placed = 0;
  while (metric(orders.http(), "orderline_ws_slow_consumers_total") < 1 && placed < 20000) {
    for (int i = 0; i < 50; ++i, ++placed) orders.place(customer);
    // The healthy client keeps up.
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(healthy.read_json().is_object()) << "frame " << i << " after " << placed << " orders; closed " << healthy.closed()
                                                   << " " << healthy.close_code() << " " << healthy.close_reason();
    }
  }
  ASSERT_GE(metric(orders.http(), "orderline_ws_slow_consumers_total"), 1) << "after " << placed << " orders";

  // What was on the wire still arrives, then the close with its reason.
  int received = 0;
  while (slow.read(std::chrono::seconds(20))) ++received;
  EXPECT_TRUE(slow.closed());
  EXPECT_EQ(slow.close_code(), 1008);
  EXPECT_NE(slow.close_reason().find("slow consumer"), std::string::npos) << slow.close_reason();
  EXPECT_LT(received, placed);
  std::cerr << "slow consumer cut off after " << placed << " orders; it had received " << received << " frames\n";

  orders.place(customer);
  EXPECT_TRUE(healthy.read_json().is_object());
  EXPECT_FALSE(healthy.closed());
}

// A server of its own with a short idle timeout: the server pings, the client's pongs keep
// the connection open past the timeout.
TEST(StreamHeartbeat, PingsKeepAnAnsweringClientConnected) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream", {"--ws-idle-timeout", "2", "--no-saga"});
  Orders orders(server.port());
  const auto customer = orders.new_customer();
  WsClient ws(server.port());
  ws.send(subscribe_frame("customer_id", customer));
  ASSERT_EQ(str(ws.read_json(), "type"), "subscribed");
  // Nothing to read for 5 s (2.5 idle timeouts): only pings and their pongs cross.
  EXPECT_FALSE(ws.read(std::chrono::seconds(5)));
  EXPECT_GE(ws.pings(), 1);
  EXPECT_FALSE(ws.closed());
  orders.place(customer);
  auto update = ws.read_json();
  ASSERT_TRUE(update.is_object());
  EXPECT_EQ(str(update, "type"), "OrderPlaced");
}

TEST(StreamWithSaga, ACustomerSeesTheSagaConfirmTheOrderByItself) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream");  // the saga on, as by default
  Orders orders(server.port());
  const auto customer = orders.new_customer();
  WsClient browser(server.port());
  browser.send(subscribe_frame("customer_id", customer));
  ASSERT_EQ(str(browser.read_json(), "type"), "subscribed");

  const auto placed = orders.place(customer);
  const auto order_id = str(placed, "order_id");
  // Placed, stock reserved (still placed), confirmed: every step pushed, in order, nobody acting.
  std::vector<std::string> statuses;
  std::int64_t last_version = 0;
  while (statuses.empty() || statuses.back() != "confirmed") {
    auto frame = browser.read_json();
    ASSERT_TRUE(frame.is_object()) << "saw " << statuses.size() << " updates, the last "
                                   << (statuses.empty() ? "none" : statuses.back());
    ASSERT_EQ(str(frame, "order_id"), order_id) << json::serialize(frame);
    const auto version = frame.at("version").as_int64();
    EXPECT_EQ(version, last_version + 1) << "every version, in order";
    last_version = version;
    statuses.push_back(str(frame, "status"));
  }
  EXPECT_EQ(statuses.front(), "placed");
  EXPECT_EQ(statuses.back(), "confirmed");
  EXPECT_GE(statuses.size(), 3u);
}

}  // namespace
}  // namespace orderline

namespace orderline {
namespace {

// A resume may replay more than the queue limit at once: that is not a slow consumer.
TEST(StreamSlowConsumer, AResumeLargerThanTheQueueIsNotCutOff) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream", {"--ws-queue-limit", "4", "--no-saga"});
  Orders orders(server.port());
  const auto customer = orders.new_customer();
  for (int i = 0; i < 30; ++i) orders.place(customer);
  WsClient ws(server.port());
  ws.send(subscribe_frame("customer_id", customer, eventstore::encode_position({})));
  ASSERT_EQ(str(ws.read_json(), "type"), "subscribed");
  for (int i = 0; i < 30; ++i) {
    auto frame = ws.read_json();
    ASSERT_TRUE(frame.is_object()) << "after " << i << " replayed frames; closed " << ws.closed() << " "
                                   << ws.close_reason();
    EXPECT_EQ(str(frame, "type"), "OrderPlaced");
  }
  orders.place(customer);
  EXPECT_EQ(str(ws.read_json(), "type"), "OrderPlaced");
  EXPECT_FALSE(ws.closed());
  EXPECT_EQ(metric(orders.http(), "orderline_ws_slow_consumers_total"), 0);
}

// --ws-max-connections bounds the streams apart from HTTP connections: beyond it an upgrade
// gets 503, HTTP requests still pass, and a closed stream frees its place.
TEST(StreamLimits, TooManyStreamsAreRefusedUntilOneCloses) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream", {"--ws-max-connections", "2", "--no-saga"});
  auto first = std::make_unique<WsClient>(server.port());
  WsClient second(server.port());
  const std::string upgrade = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                              "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  auto refused = testing::send_raw(server.port(), upgrade);
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_EQ(refused.code(), "too_many_connections");
  EXPECT_TRUE(refused.has_header("retry-after"));
  HttpClient http(server.port());
  http.set_default_headers(testing::admin_bearer());
  EXPECT_EQ(http.get("/healthz").status, 200u);

  first->close();
  first.reset();
  // The server notices the close asynchronously: retry (bounded) until the place is free.
  unsigned status = 0;
  for (int i = 0; i < 100 && status != 101; ++i) {
    status = testing::send_raw(server.port(), upgrade).status;
    if (status != 101) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 101u);
}

// SIGTERM: open streams are closed with 1001 (going away) and orderd exits cleanly.
TEST(StreamShutdown, ClosesStreamsAndExitsCleanly) {
  testing::TempDir dir;
  testing::E2eServer server(dir.path(), "stream");
  Orders orders(server.port());
  const auto customer = orders.new_customer();
  WsClient ws(server.port());
  ws.send(subscribe_frame("customer_id", customer));
  ASSERT_EQ(str(ws.read_json(), "type"), "subscribed");
  server.terminate();
  EXPECT_FALSE(ws.read(std::chrono::seconds(30)));
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(ws.close_code(), 1001);
  if (server.serve()) {
    EXPECT_EQ(server.serve()->wait(), 0) << server.output();
  }
}

}  // namespace
}  // namespace orderline

namespace orderline {
namespace {

// Two gateways of one distributed deployment: each pushes every order's updates, whichever
// gateway took the command, and a client that loses one gateway resumes on the other from
// its last position (a vector of events-topic offsets, the same on every gateway), with
// nothing missed and nothing twice. Only in stream_test_distributed (it needs the roles).
TEST(StreamAcrossGateways, EachPushesEveryOrderAndAResumeMovesToTheOther) {
  if (testing::e2e_mode() != "distributed") GTEST_SKIP() << "runs in ctest's stream_test_distributed";
  testing::TempDir dir;
  testing::KafkaDeployment deployment{testing::unique_topic_prefix("stream-gateways"), 4};
  auto processor = testing::start_processor(deployment, dir.path(), "p");
  testing::GatewayProcess first(deployment, dir.path(), 0, {"--demo-catalogue"});
  testing::GatewayProcess second(deployment, dir.path(), 1);
  Orders orders(first.port());  // every command through the first gateway
  const auto customer = orders.new_customer();

  std::string resume_from;
  std::string first_order;
  {
    WsClient ws(second.port());
    ws.send(subscribe_frame("customer_id", customer));
    ASSERT_EQ(str(ws.read_json(), "type"), "subscribed");
    first_order = str(orders.place(customer), "order_id");
    orders.act(first_order, "pay");
    const std::vector<std::string> expected_types = {"OrderPlaced", "OrderPaid"};
    for (const auto& expected : expected_types) {
      auto frame = ws.read_json();
      ASSERT_TRUE(frame.is_object()) << "the second gateway pushed nothing for " << expected;
      EXPECT_EQ(str(frame, "type"), expected);
      EXPECT_EQ(str(frame, "order_id"), first_order);
      resume_from = str(frame, "position");
    }
  }  // the second gateway is lost to this client

  orders.act(first_order, "ship");
  const auto second_order = str(orders.place(customer), "order_id");

  WsClient ws(first.port());
  ws.send(subscribe_frame("customer_id", customer, resume_from));
  ASSERT_EQ(str(ws.read_json(), "type"), "subscribed");
  std::map<std::string, std::vector<std::int64_t>> versions;
  for (int i = 0; i < 2; ++i) {
    auto frame = ws.read_json();
    ASSERT_TRUE(frame.is_object()) << "missed update " << i << " was not replayed";
    versions[str(frame, "order_id")].push_back(num(frame, "version"));
  }
  EXPECT_EQ(versions[first_order], (std::vector<std::int64_t>{3}));
  EXPECT_EQ(versions[second_order], (std::vector<std::int64_t>{1}));
  // Then live, nothing replayed twice: the next frame is the next change.
  orders.act(second_order, "pay");
  auto live = ws.read_json();
  ASSERT_TRUE(live.is_object());
  EXPECT_EQ(str(live, "order_id"), second_order);
  EXPECT_EQ(str(live, "type"), "OrderPaid");
  EXPECT_EQ(num(live, "version"), 2);
}

}  // namespace
}  // namespace orderline
