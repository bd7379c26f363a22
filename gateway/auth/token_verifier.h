#pragma once
// The one place a bearer token becomes a Principal: the admin service token, our own access
// tokens (HS256), and an OpenID Connect provider's tokens (RS256/ES256 against its JWKS,
// Keycloak's claim shape). Routes, and the WebSocket upgrade of another branch, call
// verify_bearer() and decide access from the Principal alone.
//
//   auto checked = verifier.verify_bearer(request.header("authorization"));
//   if (!checked.ok()) -> 401 (checked.failure says why, for the log and the metric)
//   checked.value->has(Role::staff) ...
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/auth/access_tokens.h"
#include "gateway/auth/jwks.h"
#include "gateway/auth/principal.h"

namespace orderline::auth {

struct OidcConfig {
  std::string issuer;    // "iss", e.g. https://sso.example.com/realms/shop; empty: OIDC off
  std::string audience;  // must be in "aud" (Keycloak: the client id, or "account"); empty: not checked
  std::string jwks;      // a file path or an http:// URL of the provider's JWKS
  // Provider role (realm_access.roles) -> our role name. Provider roles without an entry
  // are ignored; a token that maps to no role of ours is refused (no_roles).
  std::vector<std::pair<std::string, std::string>> role_map;
  // Claim holding our customer id for provider users with the customer role.
  std::string customer_claim = "customer_id";
};

struct VerifierConfig {
  AccessTokenConfig local;
  std::string service_token;  // the --admin-token: an admin service principal; empty: none
  OidcConfig oidc;
  std::int64_t leeway_s = 30;
  std::size_t cache_capacity = 10'000;  // verified tokens remembered until their exp; 0: none
  // Revocations recorded in the log (logouts, password changes, erasure), as the gateway's
  // read models have folded them: true refuses a token of `principal` issued at `iat` (s).
  // Asked on every request, cached token or not, so it must be cheap. Empty: none.
  std::function<bool(const Principal& principal, std::int64_t iat)> revoked_in_log;
};

class TokenVerifier {
 public:
  // jwks_fetch: where OIDC keys come from (defaults to jwks_source(config.oidc.jwks)).
  TokenVerifier(VerifierConfig config, std::function<std::int64_t()> now_s, JwksFetch jwks_fetch = {});

  // From an Authorization header value ("Bearer <token>"; the scheme is case-insensitive).
  Checked<Principal> verify_bearer(std::optional<std::string_view> authorization) const;
  Checked<Principal> verify_token(std::string_view token) const;

  const VerifierConfig& config() const { return config_; }

  // Refuses (Failure::revoked) every token of this subject issued at or before before_s, e.g.
  // once an account is closed, so its access tokens stop at once instead of at their exp. In
  // memory, per process: other gateways, and this one after a restart, wait for the exp.
  void revoke_subject(const std::string& subject, std::int64_t before_s);

 private:
  Checked<Principal> verify_uncached(std::string_view token, std::int64_t now, std::int64_t& exp,
                                     std::int64_t& iat) const;
  bool is_revoked(const Principal& principal, std::int64_t iat) const;
  Checked<Principal> local_principal(const Jwt& jwt, std::int64_t now) const;
  Checked<Principal> oidc_principal(const Jwt& jwt, std::int64_t now) const;

  VerifierConfig config_;
  std::function<std::int64_t()> now_s_;
  std::unique_ptr<JwksCache> jwks_;

  struct Cached {
    Principal principal;
    std::int64_t exp = 0;
    std::int64_t iat = 0;
  };
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, Cached> cache_;
  mutable std::mutex revoked_mutex_;
  std::unordered_map<std::string, std::int64_t> revoked_;  // subject -> revoked up to (iat)
};

}  // namespace orderline::auth
