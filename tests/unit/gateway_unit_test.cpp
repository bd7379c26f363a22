// Gateway pieces without a server: routing, JSON mapping, problems, ids, If-Match.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "gateway/json_mapping.h"
#include "gateway/problem.h"
#include "gateway/request_ids.h"
#include "gateway/routes.h"

namespace orderline::gateway {
namespace {

namespace json = boost::json;

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// --- routing -------------------------------------------------------------------------

TEST(GatewayRouting, TemplatesMatchSegmentsAndCaptureParameters) {
  std::map<std::string, std::string, std::less<>> params;
  EXPECT_TRUE(match_template("/api/v1/orders/{order_id}/events", split("/api/v1/orders/abc/events"), &params));
  EXPECT_EQ(params.at("order_id"), "abc");
  params.clear();
  EXPECT_TRUE(match_template("/api/v1/orders/{order_id}/returns/{return_id}/receive",
                             split("/api/v1/orders/o1/returns/r1/receive"), &params));
  EXPECT_EQ(params.at("order_id"), "o1");
  EXPECT_EQ(params.at("return_id"), "r1");
  EXPECT_FALSE(match_template("/api/v1/orders/{order_id}", split("/api/v1/orders/abc/events"), nullptr));
  EXPECT_FALSE(match_template("/api/v1/orders/{order_id}/events", split("/api/v1/orders/abc"), nullptr));
  EXPECT_FALSE(match_template("/api/v1/orders/{order_id}", split("/api/v1/orders/"), nullptr));  // empty param
  EXPECT_FALSE(match_template("/api/v1/orders", split("/api/v1/orders/"), nullptr));  // trailing slash
  EXPECT_TRUE(match_template("/healthz", split("/healthz"), nullptr));
}

TEST(GatewayRouting, MethodsAndUnknownPaths) {
  auto found = match_route("POST", split("/api/v1/orders/o-1/cancel"));
  EXPECT_EQ(found.kind, RouteMatch::Kind::found);
  EXPECT_EQ(found.path_template, "/api/v1/orders/{order_id}/cancel");
  EXPECT_EQ(found.params.at("order_id"), "o-1");

  auto wrong_method = match_route("DELETE", split("/api/v1/orders/o-1"));
  EXPECT_EQ(wrong_method.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(wrong_method.allowed, std::vector<std::string>{"GET"});

  auto orders = match_route("PUT", split("/api/v1/orders"));
  EXPECT_EQ(orders.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(orders.allowed, std::vector<std::string>{"POST"});

  EXPECT_EQ(match_route("GET", split("/api/v1/nothing")).kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(match_route("GET", split("/")).kind, RouteMatch::Kind::not_found);
}

TEST(GatewayRouting, RouteTableHasNoDuplicates) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : route_table()) {
    EXPECT_TRUE(seen.emplace(std::string(r.method), std::string(r.path)).second) << r.method << " " << r.path;
  }
  EXPECT_GE(seen.size(), 19u);
}

// --- ids -----------------------------------------------------------------------------

TEST(GatewayIds, UuidV5MatchesTheRfcExampleAndIsDeterministic) {
  // RFC 4122 DNS namespace, the well-known v5 of "www.example.com".
  EXPECT_EQ(uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  const auto a = uuid_v5(kIdNamespace, "anonymous\nkey-1");
  EXPECT_EQ(a, uuid_v5(kIdNamespace, "anonymous\nkey-1"));
  EXPECT_NE(a, uuid_v5(kIdNamespace, "anonymous\nkey-2"));
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '5');  // version nibble
}

TEST(GatewayIds, RandomIdsDiffer) {
  const auto a = uuid_v4();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, uuid_v4());
  EXPECT_EQ(new_request_id().size(), 32u);
  EXPECT_NE(new_request_id(), new_request_id());
}

TEST(GatewayIds, RequestIdsFromClientsMustBeShortAndPrintable) {
  EXPECT_TRUE(acceptable_request_id("abc-123_x.y"));
  EXPECT_FALSE(acceptable_request_id(""));
  EXPECT_FALSE(acceptable_request_id("has space"));
  EXPECT_FALSE(acceptable_request_id("new\nline"));
  EXPECT_FALSE(acceptable_request_id(std::string(200, 'a')));
}

TEST(GatewayIds, TraceparentTraceIds) {
  const std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(traceparent_trace_id("00-" + id + "-00f067aa0ba902b7-01"), id);
  EXPECT_EQ(traceparent_trace_id(" 00-" + id + "-00f067aa0ba902b7-00 "), id);
  // A later version may append fields; version 00 may not.
  EXPECT_EQ(traceparent_trace_id("01-" + id + "-00f067aa0ba902b7-01-extra"), id);
  EXPECT_EQ(traceparent_trace_id("00-" + id + "-00f067aa0ba902b7-01-extra"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id("ff-" + id + "-00f067aa0ba902b7-01"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id("00-" + id + "-0000000000000000-01"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id("00-" + id + "-00f067aa0ba902b7"), std::nullopt);
  EXPECT_EQ(traceparent_trace_id(""), std::nullopt);
}

TEST(GatewayIds, Sha256AndConstantTimeCompare) {
  const auto digest = sha256("abc");
  ASSERT_EQ(digest.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(digest[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(digest[31]), 0xad);
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
}

TEST(GatewayIds, IfMatchForms) {
  EXPECT_EQ(parse_if_match(std::nullopt).expected_version, -1);
  EXPECT_TRUE(parse_if_match(std::nullopt).ok);
  EXPECT_EQ(parse_if_match("3").expected_version, 3);
  EXPECT_EQ(parse_if_match("\"3\"").expected_version, 3);
  EXPECT_EQ(parse_if_match("W/\"12\"").expected_version, 12);
  EXPECT_EQ(parse_if_match(" 0 ").expected_version, 0);
  for (const char* bad : {"", "abc", "-1", "3.5", "\"\"", "*", "99999999999999999999", "+3", "3 4"}) {
    EXPECT_FALSE(parse_if_match(std::string_view(bad)).ok) << bad;
  }
}

// --- JSON in ---------------------------------------------------------------------------

std::vector<std::string> fields(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

TEST(GatewayJson, PlaceOrderParses) {
  auto p = parse_place_order(json::parse(
      R"({"customer_id":"c1","currency":"EUR","lines":[{"sku":"A","quantity":2},{"sku":"B","quantity":1}]})"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value.customer_id(), "c1");
  EXPECT_EQ(p.value.currency(), "EUR");
  ASSERT_EQ(p.value.lines_size(), 2);
  EXPECT_EQ(p.value.lines(0).sku(), "A");
  EXPECT_EQ(p.value.lines(0).quantity(), 2);
}

TEST(GatewayJson, PlaceOrderReportsEveryBadField) {
  auto p = parse_place_order(json::parse(
      R"({"currency":5,"lines":[{"sku":"A","quantity":"2"},{"quantity":1.5},{"sku":"C","quantity":10000000000},
          {"sku":"D","quantity":1e30}, 7]})"));
  EXPECT_EQ(fields(p.errors), (std::vector<std::string>{"customer_id", "currency", "lines[0].quantity",
                                                        "lines[1].sku", "lines[1].quantity", "lines[2].quantity",
                                                        "lines[3].quantity", "lines[4]"}));
  EXPECT_EQ(p.errors[2].message, "must be an integer");
  EXPECT_EQ(p.errors[5].message, "is out of range");
}

TEST(GatewayJson, ShapesThatAreNotObjects) {
  EXPECT_EQ(fields(parse_place_order(json::parse("[1,2]")).errors), std::vector<std::string>{""});
  EXPECT_EQ(fields(parse_place_order(json::parse(R"({"customer_id":"c","currency":"EUR","lines":[]})")).errors),
            std::vector<std::string>{"lines"});
  EXPECT_EQ(fields(parse_place_order(json::parse(R"({"customer_id":null,"currency":"EUR","lines":{}})")).errors),
            (std::vector<std::string>{"customer_id", "lines"}));
}

TEST(GatewayJson, ZeroAndNegativeQuantitiesAreLeftToTheDomain) {
  auto p = parse_place_order(json::parse(R"({"customer_id":"c","currency":"EUR","lines":[{"sku":"A","quantity":-1}]})"));
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.value.lines(0).quantity(), -1);
}

TEST(GatewayJson, ProductBodies) {
  auto create = parse_create_product(
      json::parse(R"({"sku":"X","name":"n","price":{"amount_minor":100,"currency":"EUR"},"stock":5})"));
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create.value.price().amount_minor(), 100);
  EXPECT_EQ(create.value.stock(), 5);
  auto bad = parse_create_product(json::parse(R"({"sku":"X","name":"n","price":{"amount_minor":"1"}})"));
  EXPECT_EQ(fields(bad.errors),
            (std::vector<std::string>{"price.amount_minor", "price.currency", "stock"}));
  EXPECT_EQ(fields(parse_change_price(json::parse(R"({"price":12})")).errors), std::vector<std::string>{"price"});
  EXPECT_EQ(fields(parse_restock(json::parse(R"({"quantity":true})")).errors), std::vector<std::string>{"quantity"});
  EXPECT_TRUE(parse_discontinue(json::parse("{}")).ok());
  auto action = parse_order_action(json::parse(R"({"reason":"late","return_id":"r-1"})"));
  ASSERT_TRUE(action.ok());
  EXPECT_EQ(action.value.reason(), "late");
  EXPECT_EQ(action.value.return_id(), "r-1");
  EXPECT_FALSE(parse_order_action(json::parse(R"({"reason":3})")).ok());
}

TEST(GatewayJson, CanonicalJsonSortsKeysAtEveryLevel) {
  EXPECT_EQ(canonical_json(json::parse(R"({"b":1,"a":{"y":[{"d":1,"c":2}],"x":null}})")),
            R"({"a":{"x":null,"y":[{"c":2,"d":1}]},"b":1})");
  EXPECT_EQ(canonical_json(json::parse(R"({"a":1,"b":2})")), canonical_json(json::parse(R"({ "b" : 2, "a" : 1 })")));
}

// --- JSON out --------------------------------------------------------------------------

TEST(GatewayJson, Rfc3339) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339_utc(1'700'000'000'123'456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(rfc3339_utc(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(GatewayJson, OrderView) {
  v1::OrderView view;
  view.set_order_id("o1");
  view.set_customer_id("c1");
  view.set_status("placed");
  view.set_payment_status("not_paid");
  view.set_fulfillment_status("unfulfilled");
  auto* line = view.add_lines();
  line->set_sku("A");
  line->set_name("Apple");
  line->set_quantity(2);
  line->mutable_unit_price()->set_amount_minor(150);
  line->mutable_unit_price()->set_currency("EUR");
  view.mutable_total()->set_amount_minor(300);
  view.mutable_total()->set_currency("EUR");
  view.set_version(1);
  view.set_created_at_us(1'000'000);
  view.set_updated_at_us(2'000'000);
  const auto o = order_view_json(view);
  EXPECT_EQ(json::serialize(o),
            R"({"order_id":"o1","customer_id":"c1","status":"placed","payment_status":"not_paid",)"
            R"("fulfillment_status":"unfulfilled","lines":[{"sku":"A","name":"Apple","quantity":2,)"
            R"("unit_price":{"amount_minor":150,"currency":"EUR"}}],"total":{"amount_minor":300,"currency":"EUR"},)"
            R"("version":1,"created_at":"1970-01-01T00:00:01.000000Z","updated_at":"1970-01-01T00:00:02.000000Z"})");
}

TEST(GatewayJson, ProductViewShowsAvailable) {
  v1::ProductView view;
  view.set_sku("A");
  view.set_name("Apple");
  view.mutable_price()->set_amount_minor(150);
  view.mutable_price()->set_currency("EUR");
  view.set_on_hand(10);
  view.set_committed(3);
  view.set_active(true);
  EXPECT_EQ(json::serialize(product_view_json(view)),
            R"({"sku":"A","name":"Apple","price":{"amount_minor":150,"currency":"EUR"},"available":7,"active":true})");
}

TEST(GatewayJson, EventDataKeepsIntegersAsNumbers) {
  v1::EventPayload payload;
  auto* placed = payload.mutable_order_placed();
  placed->set_order_id("o1");
  placed->mutable_total()->set_amount_minor(5'000'000'000);
  placed->mutable_total()->set_currency("EUR");
  auto* t = placed->add_transitions();
  t->set_machine("order");
  t->set_to("placed");
  v1::EventEnvelope envelope;
  envelope.set_type("OrderPlaced");
  envelope.set_stream_version(1);
  envelope.set_occurred_at_us(0);
  envelope.set_correlation_id("req-1");
  envelope.set_causation_id("place-o1");
  payload.SerializeToString(envelope.mutable_payload());
  auto item = event_json(envelope, "p1.x");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->at("type").as_string(), "OrderPlaced");
  EXPECT_EQ(item->at("correlation_id").as_string(), "req-1");
  EXPECT_EQ(item->at("causation_id").as_string(), "place-o1");
  EXPECT_EQ(item->at("position").as_string(), "p1.x");
  EXPECT_EQ(item->at("stream_version").to_number<std::int64_t>(), 1);
  const auto& data = item->at("data").as_object();
  EXPECT_EQ(data.at("order_id").as_string(), "o1");
  EXPECT_EQ(data.at("total").at("amount_minor").as_int64(), 5'000'000'000);
  EXPECT_EQ(data.at("transitions").as_array().at(0).at("to").as_string(), "placed");
  EXPECT_EQ(data.at("lines").as_array().size(), 0u);
}

// --- problems --------------------------------------------------------------------------

TEST(GatewayProblem, Shape) {
  auto r = problem(404, "not_found", "no order x");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "https://orderline.dev/problems/not_found");
  EXPECT_EQ(body.at("title").as_string(), "Not found");
  EXPECT_EQ(body.at("status").as_int64(), 404);
  EXPECT_EQ(body.at("detail").as_string(), "no order x");
  EXPECT_EQ(body.at("code").as_string(), "not_found");
  EXPECT_FALSE(body.contains("errors"));

  auto v = json::parse(validation_problem({{"lines[0].quantity", "must be an integer"}}).body).as_object();
  EXPECT_EQ(v.at("status").as_int64(), 400);
  EXPECT_EQ(v.at("errors").as_array().at(0).at("field").as_string(), "lines[0].quantity");
}

TEST(GatewayProblem, RejectionStatuses) {
  EXPECT_EQ(status_for_rejection("validation_failed"), 400u);
  EXPECT_EQ(status_for_rejection("not_found"), 404u);
  for (const char* c : {"invalid_transition", "version_conflict", "already_exists", "out_of_stock"}) {
    EXPECT_EQ(status_for_rejection(c), 409u) << c;
  }
  for (const char* c : {"unknown_sku", "product_inactive", "currency_mismatch", "unknown_customer",
                        "idempotency_key_reused"}) {
    EXPECT_EQ(status_for_rejection(c), 422u) << c;
  }
}

TEST(GatewayProblem, ReplyKinds) {
  using Kind = commands::CommandReply::Kind;
  commands::CommandReply reply;
  reply.kind = Kind::done;
  reply.outcome.set_error_code("validation_failed");
  reply.outcome.set_error_field("lines[0].quantity");
  reply.outcome.set_error_detail("quantity must be 1..999");
  auto r = reply_problem(reply);
  EXPECT_EQ(r.status, 400u);
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("errors").as_array().at(0).at("field").as_string(), "lines[0].quantity");

  reply.kind = Kind::overloaded;
  r = reply_problem(reply);
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(json::parse(r.body).at("code").as_string(), "rate_limited");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));

  reply.kind = Kind::timed_out;
  reply.outcome.set_command_id("place-1");
  r = reply_problem(reply);
  EXPECT_EQ(r.status, 504u);
  EXPECT_EQ(json::parse(r.body).at("command_id").as_string(), "place-1");
  EXPECT_EQ(json::parse(r.body).at("code").as_string(), "outcome_unknown");

  reply.kind = Kind::shutting_down;
  EXPECT_EQ(reply_problem(reply).status, 503u);
  reply.kind = Kind::failed;
  r = reply_problem(reply);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(json::parse(r.body).at("code").as_string(), "log_unavailable");
}

}  // namespace
}  // namespace orderline::gateway
