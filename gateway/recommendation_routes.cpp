// Recommendations (issue 9): items bought together with a product (public, like the
// catalogue) and a customer's recommendations (the customer themself or staff; another
// customer's id is 404, as for their orders). Each item says why it was chosen.
#include <boost/json.hpp>

#include <charconv>

#include "gateway/access.h"
#include "gateway/handlers.h"
#include "gateway/route_support.h"
#include "projections/recommendation_queries.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

constexpr std::size_t kDefaultLimit = 10;
constexpr std::size_t kMaxLimit = 100;

// ?limit= from 1 to 100 (default 10); anything else is a 400 naming the field.
std::optional<std::size_t> recommendation_limit(const ExchangePtr& ex) {
  const auto text = ex->request.query_param("limit");
  if (!text) return kDefaultLimit;
  std::size_t limit = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > kMaxLimit) {
    ex->respond(validation_problem({{"limit", "must be an integer from 1 to 100"}}));
    return std::nullopt;
  }
  return limit;
}

bool recommendations_configured(const ExchangePtr& ex) {
  if (ex->services->recommendations) return true;
  ex->respond(problem(503, "not_configured", "this server keeps no recommendations"));
  return false;
}

void respond_items(const ExchangePtr& ex, const std::vector<recommendations::Recommendation>& found) {
  json::array items;
  for (const auto& r : found) {
    json::object item{{"sku", r.sku}, {"name", r.name}, {"score", r.score}, {"reason", reason_text(r)}};
    if (!r.because_sku.empty()) item["because_sku"] = r.because_sku;
    items.push_back(std::move(item));
  }
  ex->respond(json_response(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}}));
}

}  // namespace

void related_products(const ExchangePtr& ex) {
  const auto limit = recommendation_limit(ex);
  if (!limit || !recommendations_configured(ex)) return;
  when_caught_up(ex, [ex, limit = *limit] {
    const auto& sku = ex->param("sku");
    if (!ex->services->read_models->product(sku)) return ex->respond(problem(404, "not_found", "no product " + sku));
    respond_items(ex, ex->services->recommendations->related(sku, limit));
  });
}

void customer_recommendations(const ExchangePtr& ex) {
  const auto limit = recommendation_limit(ex);
  if (!limit || !recommendations_configured(ex)) return;
  const auto& customer_id = ex->param("customer_id");
  if (!may_see_customer(ex->principal, customer_id)) {
    return ex->respond(problem(404, "not_found", "no customer " + customer_id));
  }
  when_caught_up(ex, [ex, limit = *limit] {
    const auto& customer_id = ex->param("customer_id");
    const auto* recs = ex->services->recommendations;
    if (!ex->services->read_models->customer_exists(customer_id) && !recs->has_history(customer_id)) {
      return ex->respond(problem(404, "not_found", "no customer " + customer_id));
    }
    respond_items(ex, recs->for_customer(customer_id, limit));
  });
}

}  // namespace orderline::gateway::handlers
