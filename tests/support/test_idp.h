#pragma once
// A stand-in OpenID Connect provider for tests: RSA and P-256 keys, their JWKS, and tokens in
// Keycloak's shape signed with them.
//
//   TestIdp idp("https://sso.test/realms/shop");
//   auto rsa = idp.add_rsa_key("rsa-1");
//   write_file(dir + "/jwks.json", idp.jwks());
//   auto token = idp.token(rsa, {{"realm_access", {{"roles", {"shop-staff"}}}}});
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/auth/jwt.h"

namespace orderline::testing {

struct IdpKey {
  std::string kid;
  std::string alg;  // RS256 or ES256
  auth::PKeyPtr key;
};

class TestIdp {
 public:
  explicit TestIdp(std::string issuer, std::string audience = "orderline-api");

  IdpKey add_rsa_key(const std::string& kid);
  IdpKey add_ec_key(const std::string& kid);
  // {"keys": [...]} of every key added (or of `only`, when given).
  std::string jwks(const std::vector<IdpKey>& only = {}) const;

  // Standard claims (iss, aud, sub, iat, exp = now + 300) plus `extra` (which may override them),
  // signed with the key; `header_extra` is merged into the header.
  std::string token(const IdpKey& key, const boost::json::object& extra = {}, std::int64_t now_s = 0,
                    const boost::json::object& header_extra = {}) const;
  boost::json::object claims(const boost::json::object& extra = {}, std::int64_t now_s = 0) const;

  const std::string& issuer() const { return issuer_; }

 private:
  std::string issuer_;
  std::string audience_;
  std::vector<IdpKey> keys_;
};

// Wall clock in seconds.
std::int64_t now_seconds();

}  // namespace orderline::testing
