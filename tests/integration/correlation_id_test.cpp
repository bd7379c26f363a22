// A request's correlation id (X-Request-Id, or a traceparent's trace id) travels into the
// command, the events it appends (their envelopes) and the log lines of the gateway, the
// command bus, the projector and the WebSocket push of the order's update.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <sstream>

#include "gateway/request_ids.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/ws_client.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

namespace json = boost::json;

const testing::HeaderList kStaff = {{"Authorization", std::string("Bearer ") + testing::OrderdProcess::kAdminToken}};

class CorrelationId : public ::testing::Test {
 protected:
  CorrelationId() : server_(dir_.path() + "/data"), http_(server_.port()) {
    http_.set_default_headers(testing::admin_bearer());
  }

  void SetUp() override {
    // The per-request, per-command and per-event lines are debug lines.
    auto r = http_.request("PUT", "/api/v1/admin/log-level", R"({"level":"debug"})", kStaff);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto customer = http_.post("/api/v1/customers", R"({"email":"c@example.com","name":"C"})");
    ASSERT_EQ(customer.status, 201u) << customer.body;
    customer_id_ = std::string(customer.json().at("customer_id").as_string());
  }

  // Places an order with the given extra headers; waits until the read models have folded it.
  std::string place(const std::string& key, testing::HeaderList headers) {
    headers.emplace_back("Idempotency-Key", key);
    auto r = http_.post("/api/v1/orders",
                        R"({"customer_id":")" + customer_id_ + R"(","currency":"EUR","lines":[{"sku":"TEA-GREEN-250","quantity":1}]})",
                        headers);
    EXPECT_EQ(r.status, 201u) << r.body;
    const std::string order_id(r.json().at("order_id").as_string());
    auto read = http_.get("/api/v1/orders/" + order_id + "?after=" + std::string(r.json().at("position").as_string()));
    EXPECT_EQ(read.status, 200u) << read.body;
    return order_id;
  }

  json::array events_of(const std::string& order_id) {
    auto r = http_.get("/api/v1/orders/" + order_id + "/events");
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.json().at("items").as_array();
  }

  // The server's JSON log lines carrying this correlation id (every JSON-looking line must
  // parse: messages are escaped).
  std::vector<json::object> log_lines_with(const std::string& correlation_id) {
    std::vector<json::object> out;
    std::istringstream in(server_.output());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line.front() != '{') continue;
      boost::system::error_code ec;
      auto value = json::parse(line, ec);
      EXPECT_FALSE(ec) << "a log line that is not JSON: " << line;
      if (ec || !value.is_object()) continue;
      const auto& object = value.as_object();
      if (const auto* id = object.if_contains("correlation_id"); id && id->as_string() == correlation_id) {
        out.push_back(object);
      }
    }
    return out;
  }

  testing::TempDir dir_;
  testing::OrderdProcess server_;
  testing::HttpClient http_;
  std::string customer_id_;
};

TEST_F(CorrelationId, FromXRequestIdToEnvelopesAndLogLines) {
  // A staff client following every order, so the order's events are pushed over WebSocket.
  testing::WsClient ws(server_.port());
  ws.send(R"({"op":"subscribe","all":true,"token":")" + std::string(testing::OrderdProcess::kAdminToken) + R"("})");
  ASSERT_EQ(ws.read_json().at("type"), "subscribed");

  const std::string request_id = "corr-" + gateway::new_request_id();
  const auto order_id = place("corr-1", {{"X-Request-Id", request_id}});
  const std::string command_id = "place-" + order_id;
  // The push of OrderPlaced reached the client (so its log line has been written).
  bool pushed = false;
  for (int i = 0; i < 20 && !pushed; ++i) {
    auto frame = ws.read_json();
    ASSERT_FALSE(frame.is_null()) << "no push of the order";
    pushed = frame.at("type") == "OrderPlaced" && frame.at("order_id").as_string() == order_id;
  }
  ASSERT_TRUE(pushed);

  const auto events = events_of(order_id);
  ASSERT_GE(events.size(), 1u);  // the saga may have moved the order on already
  EXPECT_EQ(events[0].at("causation_id").as_string(), command_id);
  // The saga's replies carry the request's correlation id too.
  for (const auto& event : events) EXPECT_EQ(event.at("correlation_id").as_string(), request_id);

  std::map<std::string, json::object> by_component;
  std::optional<json::object> push;
  // The saga's commands and their events carry the same correlation id; the lines about this
  // request's own command are the ones it caused.
  for (auto& line : log_lines_with(request_id)) {
    const auto* causation = line.if_contains("causation_id");
    if (causation && causation->as_string() != command_id) continue;
    const std::string msg(line.at("msg").as_string());
    if (msg.find("pushing OrderPlaced of order " + order_id) != std::string::npos) {
      push = line;
      continue;
    }
    by_component[std::string(line.at("component").as_string())] = line;
  }
  // The WebSocket push of the order's first event, in the same chain, caused by the command.
  ASSERT_TRUE(push.has_value()) << server_.output();
  EXPECT_EQ(push->at("component").as_string(), "gateway");
  EXPECT_EQ(push->at("causation_id").as_string(), command_id);
  ASSERT_TRUE(by_component.count("gateway")) << server_.output();
  ASSERT_TRUE(by_component.count("commands")) << server_.output();
  ASSERT_TRUE(by_component.count("projector")) << server_.output();
  EXPECT_NE(std::string(by_component["gateway"].at("msg").as_string()).find("POST /api/v1/orders -> 201"),
            std::string::npos);
  EXPECT_EQ(by_component["commands"].at("causation_id").as_string(), command_id);
  EXPECT_EQ(by_component["projector"].at("causation_id").as_string(), command_id);
  EXPECT_EQ(by_component["projector"].at("level").as_string(), "debug");

  // The envelope in the log itself, as an operator's dump shows it.
  int status = -1;
  const auto dump = testing::run_command({ORDERCTL_PATH, "events", "dump", "--data-dir", dir_.path() + "/data"}, &status);
  ASSERT_EQ(status, 0);
  bool found = false;
  std::istringstream in(dump);
  for (std::string line; std::getline(in, line);) {
    auto record = json::parse(line).as_object();
    const auto& envelope = record.at("envelope").as_object();
    if (envelope.at("stream_id").as_string() != "order-" + order_id) continue;
    EXPECT_EQ(envelope.at("correlation_id").as_string(), request_id);
    found = true;
  }
  EXPECT_TRUE(found) << dump;
}

TEST_F(CorrelationId, ATraceparentsTraceIdWins) {
  const std::string trace_id = gateway::new_request_id();  // 32 hex digits, as a trace id
  const auto order_id =
      place("corr-2", {{"X-Request-Id", "req-2"}, {"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}});
  const auto events = events_of(order_id);
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events[0].at("correlation_id").as_string(), trace_id);
  EXPECT_FALSE(log_lines_with(trace_id).empty()) << server_.output();
}

}  // namespace
}  // namespace orderline
