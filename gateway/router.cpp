#include <algorithm>

#include "gateway/access.h"
#include "gateway/handlers.h"
#include "gateway/problem.h"
#include "gateway/routes.h"

namespace orderline::gateway {
namespace {

struct Route {
  RouteSpec spec;
  Handler handler;
  // Checked by dispatch() before the handler runs. A route added without one is admin-only,
  // never public by omission.
  Access access = roles(auth::Role::admin);
};

const std::vector<Route>& routes() {
  namespace h = handlers;
  using auth::Role;
  // Roles per route (admin may call every route): the one place access is decided.
  constexpr Access kCustomerOrStaff = roles(Role::customer | Role::staff);
  constexpr Access kStaff = roles(Role::staff);
  constexpr Access kOps = roles(Role::ops);
  static const std::vector<Route> kRoutes = {
      {{"GET", "/healthz"}, h::healthz, kPublic},
      {{"GET", "/readyz"}, h::readyz, kPublic},
      // Scraped by Prometheus; keep it on the operators' network.
      {{"GET", "/metrics"}, h::metrics, kPublic},
      {{"GET", "/api/v1/products"}, h::list_products, kPublic},
      {{"GET", "/api/v1/products/{sku}"}, h::get_product, kPublic},
      {{"GET", "/api/v1/products/{sku}/related"}, h::related_products, kPublic},
      {{"POST", "/api/v1/auth/register"}, h::auth_register, kPublic},
      {{"POST", "/api/v1/auth/login"}, h::auth_login, kPublic},
      {{"POST", "/api/v1/auth/refresh"}, h::auth_refresh, kPublic},
      {{"POST", "/api/v1/auth/logout"}, h::auth_logout, kPublic},
      {{"GET", "/api/v1/auth/me"}, h::auth_me, roles(Role::customer | Role::staff | Role::ops | Role::analyst)},
      {{"POST", "/api/v1/auth/password"}, h::auth_change_password,
       roles(Role::customer | Role::staff | Role::ops | Role::analyst)},
      {{"POST", "/api/v1/auth/password-reset"}, h::auth_request_password_reset, kPublic},
      {{"POST", "/api/v1/auth/password-reset/confirm"}, h::auth_confirm_password_reset, kPublic},
      {{"POST", "/api/v1/customers"}, h::register_customer, kStaff},
      {{"GET", "/api/v1/customers/{customer_id}"}, h::get_customer, kCustomerOrStaff},
      {{"DELETE", "/api/v1/customers/{customer_id}"}, h::forget_customer, roles(Role::customer)},
      {{"GET", "/api/v1/customers/{customer_id}/orders"}, h::customer_orders, kCustomerOrStaff},
      {{"GET", "/api/v1/customers/{customer_id}/recommendations"}, h::customer_recommendations, kCustomerOrStaff},
      {{"POST", "/api/v1/orders"}, h::place_order, kCustomerOrStaff},
      {{"GET", "/api/v1/orders/{order_id}"}, h::get_order, kCustomerOrStaff},
      {{"GET", "/api/v1/orders/{order_id}/events"}, h::order_events, kCustomerOrStaff},
      {{"POST", "/api/v1/orders/{order_id}/cancel"}, h::cancel_order, kCustomerOrStaff},
      {{"POST", "/api/v1/orders/{order_id}/pay"}, h::pay_order, kCustomerOrStaff},
      {{"POST", "/api/v1/orders/{order_id}/ship"}, h::ship_order, kStaff},
      {{"POST", "/api/v1/orders/{order_id}/deliver"}, h::deliver_order, kStaff},
      {{"POST", "/api/v1/orders/{order_id}/return"}, h::request_return, kCustomerOrStaff},
      {{"POST", "/api/v1/orders/{order_id}/returns/{return_id}/receive"}, h::receive_return, kStaff},
      {{"GET", "/api/v1/admin/orders"}, h::search_orders, kStaff},
      {{"GET", "/api/v1/admin/orders/export"}, h::export_orders, kStaff},
      {{"GET", "/api/v1/admin/projections"}, h::list_projections, kOps},
      {{"GET", "/api/v1/admin/projections/{name}"}, h::get_projection, kOps},
      {{"POST", "/api/v1/admin/projections/{name}/rebuild"}, h::rebuild_projection, kOps},
      {{"POST", "/api/v1/admin/projections/{name}/pause"}, h::pause_projection, kOps},
      {{"POST", "/api/v1/admin/projections/{name}/resume"}, h::resume_projection, kOps},
      {{"POST", "/api/v1/admin/projections/{name}/reset"}, h::reset_projection, kOps},
      {{"GET", "/api/v1/admin/deadletters"}, h::list_dead_letters, kOps},
      {{"POST", "/api/v1/admin/deadletters/{id}/retry"}, h::retry_dead_letter, kOps},
      {{"POST", "/api/v1/admin/deadletters/{id}/skip"}, h::skip_dead_letter, kOps},
      {{"POST", "/api/v1/admin/accounts"}, h::create_account, roles(Role::admin)},
      {{"POST", "/api/v1/admin/accounts/password-reset"}, h::admin_password_reset, kStaff},
      {{"POST", "/api/v1/admin/products"}, h::create_product, kStaff},
      {{"POST", "/api/v1/admin/products/{sku}/price"}, h::change_price, kStaff},
      {{"POST", "/api/v1/admin/products/{sku}/restock"}, h::restock, kStaff},
      {{"POST", "/api/v1/admin/products/{sku}/discontinue"}, h::discontinue, kStaff},
      {{"PUT", "/api/v1/admin/log-level"}, h::set_log_level, kOps},
      {{"POST", "/api/v1/admin/backup"}, h::backup, kOps},
      {{"POST", "/api/v1/admin/import/orders"}, h::import_orders, roles(Role::admin)},
      // The WebSocket upgrade is taken by the session before routing; this answers plain GETs.
      // Public here: each subscription checks its own access (gateway/stream_access.h).
      {{"GET", "/api/v1/stream"}, h::stream_without_upgrade, kPublic},
  };
  return kRoutes;
}

const Route* find_route(std::string_view method, std::string_view path_template) {
  for (const auto& r : routes()) {
    if (r.spec.method == method && r.spec.path == path_template) return &r;
  }
  return nullptr;
}

// CORS preflight: the methods the path has, and the headers the API reads. Whether the
// origin may use them is the session's call (it adds the Access-Control-Allow-Origin).
void answer_preflight(const ExchangePtr& ex) {
  auto match = match_route("OPTIONS", ex->request.segments);
  if (match.allowed.empty()) return ex->respond(problem(404, "not_found", "no route for " + ex->request.path));
  std::string allow;
  for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
  Response r;
  r.status = 204;
  r.content_type.clear();
  r.headers.emplace_back("Allow", allow);
  r.headers.emplace_back("Access-Control-Allow-Methods", allow);
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id, traceparent");
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  ex->respond(std::move(r));
}

}  // namespace

std::vector<RouteSpec> route_table() {
  std::vector<RouteSpec> out;
  for (const auto& r : routes()) out.push_back(r.spec);
  return out;
}

std::optional<RouteAccess> route_access(std::string_view method, std::string_view path_template) {
  const Route* r = find_route(method, path_template);
  if (!r) return std::nullopt;
  return RouteAccess{r->access.needs_token, r->access.roles};
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

namespace {
bool is_operator_path(const std::vector<std::string>& segments) {
  if (segments.size() == 4) {  // the log level (ops), so every role's can be changed at run time
    return segments[0] == "api" && segments[1] == "v1" && segments[2] == "admin" && segments[3] == "log-level";
  }
  return segments.size() == 1 && (segments[0] == "healthz" || segments[0] == "readyz" || segments[0] == "metrics");
}
}  // namespace

void dispatch(const ExchangePtr& ex) {
  if (ex->request.method == "OPTIONS") return answer_preflight(ex);
  auto match = match_route(ex->request.method, ex->request.segments);
  if (ex->config->operator_only && !is_operator_path(ex->request.segments)) {
    match.kind = RouteMatch::Kind::not_found;  // the API's routes do not exist on an operator port
  }
  switch (match.kind) {
    case RouteMatch::Kind::found: {
      ex->params = std::move(match.params);
      ex->route = match.path_template;
      const Route* route = find_route(ex->request.method, match.path_template);
      if (route && !authorize(ex, route->access)) return;
      match.handler(ex);
      return;
    }
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
