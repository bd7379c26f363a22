#pragma once
// Our own access tokens: short-lived JWTs signed with HS256 (OpenSSL HMAC) under a server
// secret. They carry the roles and the customer id, so no request needs a lookup to know
// who is calling, and "sid", the login they belong to: a logout (or a password change or
// reset) revokes that login, and every gateway then refuses its tokens (TokenVerifier's
// revocation check, fed from the log). Keep them short (ttl_s) all the same; refresh tokens
// bring new ones.
#include <cstdint>
#include <string>

#include "gateway/auth/principal.h"

namespace orderline::auth {

struct AccessTokenConfig {
  std::string issuer = "orderline";         // "iss" of our tokens
  std::string audience = "orderline-api";   // "aud" of our tokens
  std::string secret;                        // HMAC key, at least 32 bytes (orderd keeps one per data dir)
  std::int64_t ttl_s = 900;                  // access token lifetime
};

// A compact JWT for the principal, valid from now_s for config.ttl_s seconds.
std::string issue_access_token(const AccessTokenConfig& config, const Principal& principal, std::int64_t now_s);

}  // namespace orderline::auth
