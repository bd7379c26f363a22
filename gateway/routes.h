#pragma once
// The route table of the v1 API and path matching. docs/openapi.yaml lists exactly these
// routes (tests/unit/gateway_openapi_test.cpp keeps the two in step).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/exchange.h"

namespace orderline::gateway {

using Handler = void (*)(const ExchangePtr&);

struct RouteSpec {
  std::string_view method;  // "GET", "POST"
  std::string_view path;    // template: "/api/v1/orders/{order_id}/events"
};

// Every route, in the order the router tries them.
std::vector<RouteSpec> route_table();

// A route's access rule (see access.h), for tests that walk every route: whether it needs a
// token, and the roles it admits (a bit set of auth::Role; admin always included).
struct RouteAccess {
  bool needs_token = false;
  std::uint8_t roles = 0;
};
std::optional<RouteAccess> route_access(std::string_view method, std::string_view path_template);

struct RouteMatch {
  enum class Kind { found, method_not_allowed, not_found };
  Kind kind = Kind::not_found;
  Handler handler = nullptr;
  std::string_view path_template;
  std::map<std::string, std::string, std::less<>> params;  // {name} -> decoded segment
  std::vector<std::string> allowed;                         // for method_not_allowed
};

// Matches decoded path segments ("/api/v1/orders/x" -> {"api","v1","orders","x"}).
RouteMatch match_route(std::string_view method, const std::vector<std::string>& segments);

// Matches one template against segments, filling params; exposed for tests.
bool match_template(std::string_view path_template, const std::vector<std::string>& segments,
                    std::map<std::string, std::string, std::less<>>* params);

// Routes and answers one request: 404/405 here, everything else in the handlers.
void dispatch(const ExchangePtr& exchange);

}  // namespace orderline::gateway
