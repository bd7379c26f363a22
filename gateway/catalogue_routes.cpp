// The catalogue: public reads and the staff routes that change it (roles: router.cpp).
#include <boost/json.hpp>

#include "domain/aggregate.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

// Staff commands may carry an Idempotency-Key too; without one, each request is new.
std::optional<std::string> staff_command_id(const ExchangePtr& ex, std::string_view action, std::string_view sku) {
  const auto key = ex->request.header("idempotency-key");
  if (!key) return uuid_v4();
  if (key->empty() || key->size() > 200) {
    ex->respond(validation_problem({{"Idempotency-Key", "must be 1 to 200 characters"}}));
    return std::nullopt;
  }
  return uuid_v5(kIdNamespace, principal_label(ex) + "\n" + std::string(*key) + "\n" + std::string(action) +
                                   "\n" + std::string(sku));
}

json::object product_answer(const std::string& sku, const v1::CommandOutcome& outcome) {
  return json::object{{"sku", sku},
                      {"version", outcome.version()},
                      {"status", outcome.status()},
                      {"position", outcome_position(outcome)}};
}

// The shared steps of price/restock/discontinue: auth, If-Match, body, submit.
template <typename Parse, typename Fill>
void product_change(const ExchangePtr& ex, std::string_view action, Parse parse, Fill fill) {
  const std::string sku = ex->param("sku");
  const auto expected = expected_version(ex);
  if (!expected) return;
  auto body = read_json_body(ex, action != "discontinue");
  if (!body) return;
  auto parsed = parse(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  const auto command_id = staff_command_id(ex, action, sku);
  if (!command_id) return;
  auto command = new_command(ex, *command_id, domain::product_stream(sku), *expected, principal_label(ex),
                             request_hash(ex, *body, "if-match:" + std::to_string(*expected)));
  fill(command, std::move(parsed.value), sku);
  submit_command(ex, std::move(command), [sku](const v1::CommandOutcome& outcome) {
    return json_response(product_answer(sku, outcome), 200);
  });
}

}  // namespace

void list_products(const ExchangePtr& ex) {
  const auto limit = page_limit(ex);
  if (!limit) return;
  when_caught_up(ex, [ex, limit = *limit] {
    const auto cursor = ex->request.query_param("cursor").value_or("");
    auto page = ex->services->read_models->products(limit, cursor);
    if (!page) return ex->respond(validation_problem({{"cursor", "is not a cursor of this list"}}));
    json::array items;
    for (const auto& view : page->items) items.push_back(product_view_json(view));
    json::value next = page->next_cursor ? json::value(*page->next_cursor) : json::value(nullptr);
    ex->respond(json_response(json::object{{"items", std::move(items)}, {"next_cursor", std::move(next)}}));
  });
}

void get_product(const ExchangePtr& ex) {
  when_caught_up(ex, [ex] {
    const auto& sku = ex->param("sku");
    auto view = ex->services->read_models->product(sku);
    if (!view) return ex->respond(problem(404, "not_found", "no product " + sku));
    auto r = json_response(product_view_json(*view));
    r.headers.emplace_back("ETag", "\"" + std::to_string(view->version()) + "\"");
    ex->respond(std::move(r));
  });
}

void create_product(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  auto parsed = parse_create_product(*body);
  if (parsed.ok() && parsed.value.sku().empty()) parsed.errors.push_back({"sku", "must not be empty"});
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  const std::string sku = parsed.value.sku();
  const auto command_id = staff_command_id(ex, "create_product", sku);
  if (!command_id) return;
  auto command = new_command(ex, *command_id, domain::product_stream(sku), -1, principal_label(ex), request_hash(ex, *body));
  *command.mutable_create_product() = std::move(parsed.value);
  submit_command(ex, std::move(command), [sku](const v1::CommandOutcome& outcome) {
    auto r = json_response(json::object{{"sku", sku},
                                        {"version", outcome.version()},
                                        {"position", outcome_position(outcome)}},
                           201);
    r.headers.emplace_back("Location", "/api/v1/products/" + sku);
    return r;
  });
}

void change_price(const ExchangePtr& ex) {
  product_change(ex, "price", parse_change_price, [](v1::Command& c, v1::ChangePrice body, const std::string& sku) {
    body.set_sku(sku);
    *c.mutable_change_price() = std::move(body);
  });
}

void restock(const ExchangePtr& ex) {
  product_change(ex, "restock", parse_restock, [](v1::Command& c, v1::Restock body, const std::string& sku) {
    body.set_sku(sku);
    *c.mutable_restock() = std::move(body);
  });
}

void discontinue(const ExchangePtr& ex) {
  product_change(ex, "discontinue", parse_discontinue,
                 [](v1::Command& c, v1::Discontinue body, const std::string& sku) {
                   body.set_sku(sku);
                   *c.mutable_discontinue() = std::move(body);
                 });
}

}  // namespace orderline::gateway::handlers
