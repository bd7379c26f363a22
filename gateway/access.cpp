#include "gateway/access.h"

#include "gateway/auth_runtime.h"
#include "gateway/problem.h"

namespace orderline::gateway {

auth::Checked<auth::Principal> authenticate(const AuthRuntime& runtime, std::optional<std::string_view> authorization) {
  auto checked = runtime.verifier->verify_bearer(authorization);
  if (!checked.ok()) runtime.refused(checked.failure);
  return checked;
}

bool authorize(const ExchangePtr& ex, Access access) {
  if (!access.needs_token) return true;
  auto checked = authenticate(*ex->auth, ex->request.header("authorization"));
  if (!checked.ok()) {
    // The reason stays in the metric and the debug log: a forger learns nothing from the answer.
    const bool missing = checked.failure == auth::Failure::missing;
    auto r = problem(401, "unauthorized",
                     missing ? "this route needs Authorization: Bearer <token>"
                             : "the bearer token is not valid (expired, malformed, or not ours)");
    r.headers.emplace_back("WWW-Authenticate",
                           missing ? std::string("Bearer realm=\"orderline\"")
                                   : std::string("Bearer realm=\"orderline\", error=\"invalid_token\""));
    ex->respond(std::move(r));
    return false;
  }
  if (!checked.value->any_of(access.roles)) {
    std::string wanted;
    for (const auto& name : auth::role_names(access.roles)) wanted += (wanted.empty() ? "" : ", ") + name;
    ex->respond(problem(403, "forbidden", "this route needs one of the roles: " + wanted));
    return false;
  }
  ex->principal = std::move(*checked.value);
  return true;
}

bool may_see_customer(const auth::Principal& principal, std::string_view customer_id) {
  if (!principal.customer_only()) return true;
  return !principal.customer_id.empty() && principal.customer_id == customer_id;
}

}  // namespace orderline::gateway
