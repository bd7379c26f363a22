// Customers: registration and order history.
#include <boost/json.hpp>

#include "domain/aggregate.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

void register_customer(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  auto parsed = parse_register_customer(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  const auto key = ex->request.header("idempotency-key");
  if (key && (key->empty() || key->size() > 200)) {
    return ex->respond(validation_problem({{"Idempotency-Key", "must be 1 to 200 characters"}}));
  }
  // Same derivation as orders: a retried registration names the same customer.
  const std::string customer_id =
      key ? uuid_v5(kIdNamespace, std::string(kAnonymous) + "\n" + std::string(*key)) : uuid_v4();
  auto command = new_command(ex, "register-" + customer_id, domain::customer_stream(customer_id), -1,
                             kAnonymous, request_hash(ex, *body));
  auto* registration = command.mutable_register_customer();
  *registration = std::move(parsed.value);
  registration->set_customer_id(customer_id);
  submit_command(ex, std::move(command), [customer_id](const v1::CommandOutcome& outcome) {
    auto r = json_response(json::object{{"customer_id", customer_id},
                                        {"version", outcome.version()},
                                        {"position", outcome_position(outcome)}},
                           201);
    r.headers.emplace_back("Location", "/api/v1/customers/" + customer_id + "/orders");
    return r;
  });
}

void customer_orders(const ExchangePtr& ex) {
  const auto limit = page_limit(ex);
  if (!limit) return;
  when_caught_up(ex, [ex, limit = *limit] {
    const auto& customer_id = ex->param("customer_id");
    const auto cursor = ex->request.query_param("cursor").value_or("");
    auto page = ex->services->read_models->customer_orders(customer_id, limit, cursor);
    if (!page) return ex->respond(validation_problem({{"cursor", "is not a cursor of this list"}}));
    if (page->items.empty() && cursor.empty() && !ex->services->read_models->customer_exists(customer_id)) {
      return ex->respond(problem(404, "not_found", "no customer " + customer_id));
    }
    json::array items;
    for (const auto& view : page->items) items.push_back(order_view_json(view));
    json::value next = page->next_cursor ? json::value(*page->next_cursor) : json::value(nullptr);
    ex->respond(json_response(json::object{{"items", std::move(items)}, {"next_cursor", std::move(next)}}));
  });
}

}  // namespace orderline::gateway::handlers
