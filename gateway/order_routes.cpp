// Orders: place, read, history, and the moves after placement.
#include <boost/json.hpp>

#include "domain/aggregate.h"
#include "eventstore/position.h"
#include "gateway/access.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

// Idempotency-Key: absent, or 1..200 characters. Answers 400 and returns false when bad.
bool read_idempotency_key(const ExchangePtr& ex, std::optional<std::string>& key) {
  const auto header = ex->request.header("idempotency-key");
  if (!header) return true;
  if (header->empty() || header->size() > 200) {
    ex->respond(validation_problem({{"Idempotency-Key", "must be 1 to 200 characters"}}));
    return false;
  }
  key = std::string(*header);
  return true;
}

json::object command_answer(const std::string& order_id, const v1::CommandOutcome& outcome) {
  return json::object{{"order_id", order_id},
                      {"version", outcome.version()},
                      {"status", outcome.status()},
                      {"position", outcome_position(outcome)}};
}

using ActionSetter = v1::OrderAction* (v1::Command::*)();

enum class ActionKind { plain, request_return, receive_return };

void order_action(const ExchangePtr& ex, std::string_view action, ActionSetter setter, ActionKind kind) {
  const std::string order_id = ex->param("order_id");
  const auto expected = expected_version(ex);
  if (!expected) return;
  auto body = read_json_body(ex, false);
  if (!body) return;
  auto parsed = parse_order_action(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  std::optional<std::string> key;
  if (!read_idempotency_key(ex, key)) return;

  const std::string command_id =
      key ? uuid_v5(kIdNamespace, principal_label(ex) + "\n" + *key + "\n" + std::string(action) + "\n" + order_id)
          : uuid_v4();
  v1::OrderAction move = std::move(parsed.value);
  move.set_order_id(order_id);
  if (kind == ActionKind::request_return && move.return_id().empty()) {
    // Derived from the command id when the request can be retried, so a retry names the
    // same return.
    move.set_return_id(key ? uuid_v5(kIdNamespace, "return\n" + command_id) : uuid_v4());
  }
  if (kind == ActionKind::receive_return) move.set_return_id(ex->param("return_id"));

  auto command = new_command(ex, command_id, domain::order_stream(order_id), *expected, principal_label(ex),
                             request_hash(ex, *body, "if-match:" + std::to_string(*expected)));
  // A customer's command applies to their own order only (the aggregate answers not_found).
  if (ex->principal.customer_only()) command.set_owner_customer_id(ex->principal.customer_id);
  *(command.*setter)() = move;
  const std::string return_id = move.return_id();
  submit_command(ex, std::move(command), [order_id, return_id, kind](const v1::CommandOutcome& outcome) {
    auto answer = command_answer(order_id, outcome);
    if (kind != ActionKind::plain) answer["return_id"] = return_id;
    return json_response(answer, 200);
  });
}

}  // namespace

void place_order(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const bool customer = ex->principal.customer_only();
  if (customer) {
    // A customer orders for themself: the customer id comes from the token.
    if (ex->principal.customer_id.empty()) {
      return ex->respond(problem(403, "forbidden", "the token names no customer"));
    }
    if (auto* obj = body->if_object()) {
      auto it = obj->find("customer_id");
      if (it != obj->end() && !(it->value().is_string() && it->value().as_string() == ex->principal.customer_id)) {
        return ex->respond(problem(403, "forbidden", "customers place orders for themselves only"));
      }
      (*obj)["customer_id"] = ex->principal.customer_id;
    }
  }
  auto parsed = parse_place_order(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  std::optional<std::string> key;
  if (!read_idempotency_key(ex, key)) return;

  // With a key, a retry lands on the same order id, stream and partition (DESIGN rule 4).
  // Without one, every request is a new order: not safe to retry.
  const std::string order_id =
      key ? uuid_v5(kIdNamespace, principal_label(ex) + "\n" + *key) : uuid_v4();
  auto command = new_command(ex, "place-" + order_id, domain::order_stream(order_id), -1, principal_label(ex),
                             request_hash(ex, *body));
  if (customer) command.set_owner_customer_id(ex->principal.customer_id);
  auto* place = command.mutable_place_order();
  *place = std::move(parsed.value);
  place->set_order_id(order_id);
  submit_command(ex, std::move(command), [order_id](const v1::CommandOutcome& outcome) {
    auto r = json_response(command_answer(order_id, outcome), 201);
    r.headers.emplace_back("Location", "/api/v1/orders/" + order_id);
    return r;
  });
}

void get_order(const ExchangePtr& ex) {
  // The past comes from the log, which has every acknowledged event: no after= wait needed.
  if (ex->request.query_param("as_of")) return order_as_of(ex);
  when_caught_up(ex, [ex] {
    const auto& order_id = ex->param("order_id");
    auto view = ex->services->read_models->order(order_id);
    // Another customer's order answers exactly like a missing one.
    if (!view || !may_see_customer(ex->principal, view->customer_id())) {
      return ex->respond(problem(404, "not_found", "no order " + order_id));
    }
    auto r = json_response(order_view_json(*view));
    r.headers.emplace_back("ETag", "\"" + std::to_string(view->version()) + "\"");
    ex->respond(std::move(r));
  });
}

void order_events(const ExchangePtr& ex) {
  const auto& order_id = ex->param("order_id");
  auto records = ex->services->log->read_stream(domain::order_stream(order_id));
  if (!records) {
    return ex->respond(problem(503, "log_unavailable", "cannot read the event log: " + records.detail));
  }
  if (records.value->empty()) return ex->respond(problem(404, "not_found", "no order " + order_id));
  json::array items;
  v1::EventEnvelope envelope;
  bool first = true;
  for (const auto& record : *records.value) {
    if (!envelope.ParseFromString(record.value)) continue;
    if (first && ex->principal.customer_only()) {
      // The stream's first event is OrderPlaced: it names the owner.
      v1::EventPayload placed;
      if (!placed.ParseFromString(envelope.payload()) ||
          !may_see_customer(ex->principal, placed.order_placed().customer_id())) {
        return ex->respond(problem(404, "not_found", "no order " + order_id));
      }
    }
    first = false;
    eventstore::PositionVector p;
    p.offsets[record.partition] = record.offset + 1;
    auto item = event_json(envelope, eventstore::encode_position(p));
    if (item) items.push_back(std::move(*item));
  }
  ex->respond(json_response(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}}));
}

void cancel_order(const ExchangePtr& ex) {
  order_action(ex, "cancel", &v1::Command::mutable_cancel_order, ActionKind::plain);
}
void pay_order(const ExchangePtr& ex) {
  order_action(ex, "pay", &v1::Command::mutable_pay_order, ActionKind::plain);
}
void ship_order(const ExchangePtr& ex) {
  order_action(ex, "ship", &v1::Command::mutable_ship_order, ActionKind::plain);
}
void deliver_order(const ExchangePtr& ex) {
  order_action(ex, "deliver", &v1::Command::mutable_deliver_order, ActionKind::plain);
}
void request_return(const ExchangePtr& ex) {
  order_action(ex, "return", &v1::Command::mutable_request_return, ActionKind::request_return);
}
void receive_return(const ExchangePtr& ex) {
  order_action(ex, "receive", &v1::Command::mutable_receive_return, ActionKind::receive_return);
}

}  // namespace orderline::gateway::handlers
