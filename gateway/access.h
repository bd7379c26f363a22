#pragma once
// Who may call what: every route's access rule sits beside it in the route table
// (router.cpp), and dispatch() applies it here before any handler runs. Handlers add only the
// ownership rule that needs data (a customer sees their own orders; any other one is 404).
//
//   public routes           anyone, no token needed (health, catalogue reads, /auth/*)
//   everything else         a valid bearer token with one of the route's roles:
//                           401 unauthorized without one, 403 forbidden with the wrong role
#include <optional>
#include <string_view>

#include "gateway/auth/principal.h"
#include "gateway/auth/token_verifier.h"
#include "gateway/exchange.h"

namespace orderline::gateway {

struct Access {
  bool needs_token = false;
  auth::RoleSet roles = 0;  // any of these; admin is always added
};

inline constexpr Access kPublic{false, 0};
constexpr Access roles(auth::RoleSet set) {
  return Access{true, static_cast<auth::RoleSet>(set | static_cast<auth::RoleSet>(auth::Role::admin))};
}
constexpr Access roles(auth::Role role) { return roles(auth::roles_of(role)); }

// The one function that turns an Authorization header into a principal (or a refusal, which
// it counts in orderline_auth_failures_total). For routes outside the table too: the
// WebSocket upgrade calls it with the upgrade request's header.
auth::Checked<auth::Principal> authenticate(const AuthRuntime& auth, std::optional<std::string_view> authorization);

// Applies a route's rule: sets ex->principal, or answers 401/403 and returns false.
bool authorize(const ExchangePtr& ex, Access access);

// True when the caller may see data of this customer: any non-customer role that reached the
// route, or the customer themself. Handlers answer 404 (not 403) when false, so ids of other
// customers' data cannot be probed.
bool may_see_customer(const auth::Principal& principal, std::string_view customer_id);

}  // namespace orderline::gateway
