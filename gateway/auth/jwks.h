#pragma once
// The signing keys of an OpenID Connect provider (a JWKS document, RFC 7517), cached, with
// rotation by "kid": a token naming a kid we do not have makes the cache fetch the document
// again (no more often than min_refetch), so a provider's new key works without a restart and
// a flood of forged kids cannot turn into a flood of fetches.
//
//   JwksCache cache(jwks_source("/etc/orderline/jwks.json"), now_s);
//   auto jwk = cache.key(jwt.kid);   // Checked<Jwk>: unknown_kid, jwks_unavailable
//   verify_signature(jwt, jwk.value->key.get(), jwk.value->alg);
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/jwt.h"

namespace orderline::auth {

struct Jwk {
  std::string kid;
  std::string alg;  // what this key verifies: "RS256" (kty RSA) or "ES256" (kty EC, crv P-256)
  PKeyPtr key;
};

struct JwkSet {
  std::vector<Jwk> keys;
  const Jwk* find(std::string_view kid) const;
};

// Keys of other types (oct, OKP, other curves) and encryption keys ("use": "enc") are skipped,
// as is a key whose "alg" disagrees with its type. nullopt (and *error) when the document is
// not a JWKS at all.
std::optional<JwkSet> parse_jwks(std::string_view text, std::string* error);

// The public JWK of a key (tests and tools build JWKS documents with it).
boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid);

// Returns the JWKS document, or nullopt with *error.
using JwksFetch = std::function<std::optional<std::string>(std::string* error)>;
// A file path, or an http:// URL (fetched with a 5 s time-out). https is not supported here:
// put the provider's JWKS behind a local file or an in-cluster http address.
JwksFetch jwks_source(std::string file_or_url);

// Fetches happen outside the lock and one at a time: while one thread fetches, the others go
// on with the keys they have (a stale set beats a stalled gateway). The constructor fetches
// once, so the first tokens do not wait for it.
class JwksCache {
 public:
  JwksCache(JwksFetch fetch, std::function<std::int64_t()> now_s, std::int64_t max_age_s = 300,
            std::int64_t min_refetch_s = 30);

  Checked<Jwk> key(std::string_view kid);

 private:
  // True when this caller should fetch now (not too soon after the last attempt, and nobody
  // else is fetching); marks the fetch as started.
  bool claim_fetch(std::int64_t now);
  void fetch_and_store(std::int64_t now);
  std::shared_ptr<const JwkSet> current();

  JwksFetch fetch_;
  std::function<std::int64_t()> now_s_;
  std::int64_t max_age_s_;
  std::int64_t min_refetch_s_;
  std::mutex mutex_;
  std::shared_ptr<const JwkSet> keys_;
  std::int64_t fetched_at_ = 0;
  std::int64_t last_attempt_ = INT64_MIN / 2;
  bool fetching_ = false;
};

}  // namespace orderline::auth
