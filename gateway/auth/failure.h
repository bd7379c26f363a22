#pragma once
// Why a bearer token was refused. One label value per reason in the metric
// orderline_auth_failures_total{reason}; clients only ever see 401 unauthorized (the reason
// goes to the log and the metric, never into the answer, so a forger learns nothing).
#include <string_view>

namespace orderline::auth {

enum class Failure {
  missing,          // no Authorization header, or not "Bearer"
  malformed,        // not three base64url parts of JSON
  alg_not_allowed,  // "none", HS256 on an asymmetric key, an algorithm we do not take
  unknown_kid,      // no key with that id, even after refreshing the JWKS
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  no_roles,         // valid, but maps to none of our roles
  jwks_unavailable, // the provider's keys could not be loaded
  invalid_credentials,  // login: unknown e-mail or wrong password
  locked,               // login: account locked after repeated failures
  rate_limited,         // login: too many attempts from this address or for this account
  refresh_invalid,      // refresh/logout: token unknown, expired or revoked
  refresh_reused,       // refresh: a rotated-out token came back; its family is revoked
  revoked,              // a good access token of an account closed since it was issued
};

constexpr std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::missing: return "missing";
    case Failure::malformed: return "malformed";
    case Failure::alg_not_allowed: return "alg_not_allowed";
    case Failure::unknown_kid: return "unknown_kid";
    case Failure::bad_signature: return "bad_signature";
    case Failure::expired: return "expired";
    case Failure::not_yet_valid: return "not_yet_valid";
    case Failure::wrong_issuer: return "wrong_issuer";
    case Failure::wrong_audience: return "wrong_audience";
    case Failure::no_roles: return "no_roles";
    case Failure::jwks_unavailable: return "jwks_unavailable";
    case Failure::invalid_credentials: return "invalid_credentials";
    case Failure::locked: return "locked";
    case Failure::rate_limited: return "rate_limited";
    case Failure::refresh_invalid: return "refresh_invalid";
    case Failure::refresh_reused: return "refresh_reused";
    case Failure::revoked: return "revoked";
  }
  return "unknown";
}

// Told of every refused authentication (metrics). Thread-safe and cheap.
class AuthObserver {
 public:
  virtual ~AuthObserver() = default;
  virtual void on_auth_failure(Failure reason) = 0;
};

}  // namespace orderline::auth
