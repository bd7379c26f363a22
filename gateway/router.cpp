#include <algorithm>

#include "gateway/handlers.h"
#include "gateway/problem.h"
#include "gateway/routes.h"

namespace orderline::gateway {
namespace {

struct Route {
  RouteSpec spec;
  Handler handler;
};

const std::vector<Route>& routes() {
  namespace h = handlers;
  static const std::vector<Route> kRoutes = {
      {{"GET", "/healthz"}, h::healthz},
      {{"GET", "/readyz"}, h::readyz},
      {{"GET", "/metrics"}, h::metrics},
      {{"GET", "/api/v1/products"}, h::list_products},
      {{"GET", "/api/v1/products/{sku}"}, h::get_product},
      {{"POST", "/api/v1/customers"}, h::register_customer},
      {{"GET", "/api/v1/customers/{customer_id}/orders"}, h::customer_orders},
      {{"POST", "/api/v1/orders"}, h::place_order},
      {{"GET", "/api/v1/orders/{order_id}"}, h::get_order},
      {{"GET", "/api/v1/orders/{order_id}/events"}, h::order_events},
      {{"POST", "/api/v1/orders/{order_id}/cancel"}, h::cancel_order},
      {{"POST", "/api/v1/orders/{order_id}/pay"}, h::pay_order},
      {{"POST", "/api/v1/orders/{order_id}/ship"}, h::ship_order},
      {{"POST", "/api/v1/orders/{order_id}/deliver"}, h::deliver_order},
      {{"POST", "/api/v1/orders/{order_id}/return"}, h::request_return},
      {{"POST", "/api/v1/orders/{order_id}/returns/{return_id}/receive"}, h::receive_return},
      {{"GET", "/api/v1/admin/orders"}, h::search_orders},
      {{"GET", "/api/v1/admin/orders/export"}, h::export_orders},
      {{"GET", "/api/v1/admin/projections"}, h::list_projections},
      {{"GET", "/api/v1/admin/projections/{name}"}, h::get_projection},
      {{"POST", "/api/v1/admin/projections/{name}/rebuild"}, h::rebuild_projection},
      {{"POST", "/api/v1/admin/projections/{name}/pause"}, h::pause_projection},
      {{"POST", "/api/v1/admin/projections/{name}/resume"}, h::resume_projection},
      {{"POST", "/api/v1/admin/projections/{name}/reset"}, h::reset_projection},
      {{"GET", "/api/v1/admin/deadletters"}, h::list_dead_letters},
      {{"POST", "/api/v1/admin/deadletters/{id}/retry"}, h::retry_dead_letter},
      {{"POST", "/api/v1/admin/deadletters/{id}/skip"}, h::skip_dead_letter},
      {{"POST", "/api/v1/admin/products"}, h::create_product},
      {{"POST", "/api/v1/admin/products/{sku}/price"}, h::change_price},
      {{"POST", "/api/v1/admin/products/{sku}/restock"}, h::restock},
      {{"POST", "/api/v1/admin/products/{sku}/discontinue"}, h::discontinue},
      {{"PUT", "/api/v1/admin/log-level"}, h::set_log_level},
      {{"POST", "/api/v1/admin/backup"}, h::backup},
      // The WebSocket upgrade is taken by the session before routing; this answers plain GETs.
      {{"GET", "/api/v1/stream"}, h::stream_without_upgrade},
  };
  return kRoutes;
}

}  // namespace

std::vector<RouteSpec> route_table() {
  std::vector<RouteSpec> out;
  for (const auto& r : routes()) out.push_back(r.spec);
  return out;
}

bool match_template(std::string_view path_template, const std::vector<std::string>& segments,
                    std::map<std::string, std::string, std::less<>>* params) {
  std::size_t index = 0;
  std::string_view rest = path_template;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (index >= segments.size()) return false;
    const std::string& segment = segments[index++];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      // A parameter matches any non-empty segment.
      if (segment.empty()) return false;
      if (params) params->emplace(std::string(part.substr(1, part.size() - 2)), segment);
    } else if (part != segment) {
      return false;
    }
  }
  return index == segments.size();
}

RouteMatch match_route(std::string_view method, const std::vector<std::string>& segments) {
  RouteMatch result;
  for (const auto& route : routes()) {
    std::map<std::string, std::string, std::less<>> params;
    if (!match_template(route.spec.path, segments, &params)) continue;
    if (route.spec.method == method) {
      result.kind = RouteMatch::Kind::found;
      result.handler = route.handler;
      result.path_template = route.spec.path;
      result.params = std::move(params);
      result.allowed.clear();
      return result;
    }
    if (std::find(result.allowed.begin(), result.allowed.end(), route.spec.method) == result.allowed.end()) {
      result.allowed.emplace_back(route.spec.method);
    }
  }
  result.kind = result.allowed.empty() ? RouteMatch::Kind::not_found : RouteMatch::Kind::method_not_allowed;
  return result;
}

void dispatch(const ExchangePtr& ex) {
  auto match = match_route(ex->request.method, ex->request.segments);
  switch (match.kind) {
    case RouteMatch::Kind::found:
      ex->params = std::move(match.params);
      ex->route = match.path_template;
      match.handler(ex);
      return;
    case RouteMatch::Kind::method_not_allowed: {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      auto r = problem(405, "method_not_allowed",
                       ex->request.method + " is not allowed on " + ex->request.path + " (allowed: " + allow + ")");
      r.headers.emplace_back("Allow", allow);
      ex->respond(std::move(r));
      return;
    }
    case RouteMatch::Kind::not_found:
      ex->respond(problem(404, "not_found", "no route for " + ex->request.path));
      return;
  }
}

}  // namespace orderline::gateway
