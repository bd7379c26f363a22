#pragma once
// JSON Web Tokens in compact form (RFC 7519/7515): parsing, HS256 signing and checking, RS256
// and ES256 checking against a public key, and the time/issuer/audience claims.
//
// The algorithm is never chosen by the token: the caller decides which key (and so which
// algorithm) applies, and a token whose "alg" differs is refused. That closes "alg: none" and
// the HS/RS confusion (an RSA public key used as an HMAC secret).
#include <openssl/evp.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/auth/failure.h"

namespace orderline::auth {

struct Jwt {
  boost::json::object header;
  boost::json::object claims;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  std::string signature;      // raw bytes
  std::string alg;
  std::string kid;
};

// Either the value or why not.
template <typename T>
struct Checked {
  std::optional<T> value;
  Failure failure = Failure::malformed;
  bool ok() const { return value.has_value(); }
};

// Splits and decodes; refuses anything that is not three base64url parts of JSON objects,
// with a string "alg" in the header. Bounded: tokens over 16 KiB are refused.
Checked<Jwt> parse_jwt(std::string_view token);

using PKeyPtr = std::shared_ptr<EVP_PKEY>;

// alg is "RS256" or "ES256" (ES256 signatures are raw R||S, 64 bytes, as JWS defines).
bool verify_signature(const Jwt& jwt, EVP_PKEY* key, std::string_view alg);
bool verify_hs256(const Jwt& jwt, std::string_view secret);

std::string hmac_sha256(std::string_view key, std::string_view data);
// header and claims serialised, base64url'd, and signed with HS256.
std::string encode_hs256(const boost::json::object& header, const boost::json::object& claims, std::string_view secret);
// For tests and tools: RS256 / ES256 signing with a private key.
std::string encode_signed(const boost::json::object& header, const boost::json::object& claims, EVP_PKEY* key,
                          std::string_view alg);

struct ClaimRules {
  std::string issuer;            // "iss" must equal it
  std::string audience;          // "aud" (a string or an array) must contain it; empty: not checked
  std::int64_t now_s = 0;
  std::int64_t leeway_s = 30;    // clock skew allowed on exp and nbf
};
// exp is required; nbf and iat are checked when present (iat in the future beyond leeway:
// not_yet_valid).
std::optional<Failure> check_claims(const boost::json::object& claims, const ClaimRules& rules);

}  // namespace orderline::auth
