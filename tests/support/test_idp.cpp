#include "tests/support/test_idp.h"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

#include "gateway/auth/jwks.h"

namespace orderline::testing {
namespace json = boost::json;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TestIdp::TestIdp(std::string issuer, std::string audience) : issuer_(std::move(issuer)), audience_(std::move(audience)) {}

IdpKey TestIdp::add_rsa_key(const std::string& kid) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!key) throw std::runtime_error("RSA keygen failed");
  keys_.push_back({kid, "RS256", auth::PKeyPtr(key, EVP_PKEY_free)});
  return keys_.back();
}

IdpKey TestIdp::add_ec_key(const std::string& kid) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) throw std::runtime_error("EC keygen failed");
  keys_.push_back({kid, "ES256", auth::PKeyPtr(key, EVP_PKEY_free)});
  return keys_.back();
}

std::string TestIdp::jwks(const std::vector<IdpKey>& only) const {
  json::array list;
  for (const auto& k : only.empty() ? keys_ : only) list.push_back(auth::public_jwk(k.key.get(), k.kid));
  return json::serialize(json::object{{"keys", std::move(list)}});
}

json::object TestIdp::claims(const json::object& extra, std::int64_t now_s) const {
  if (now_s == 0) now_s = now_seconds();
  json::object c{{"iss", issuer_},     {"aud", json::array{audience_, "account"}},
                 {"sub", "user-1"},    {"iat", now_s},
                 {"exp", now_s + 300}, {"typ", "Bearer"},
                 {"realm_access", json::object{{"roles", json::array{"offline_access"}}}}};
  for (const auto& [k, v] : extra) c[k] = v;
  return c;
}

std::string TestIdp::token(const IdpKey& key, const json::object& extra, std::int64_t now_s,
                           const json::object& header_extra) const {
  json::object header{{"alg", key.alg}, {"typ", "JWT"}, {"kid", key.kid}};
  for (const auto& [k, v] : header_extra) header[k] = v;
  return auth::encode_signed(header, claims(extra, now_s), key.key.get(), key.alg);
}

}  // namespace orderline::testing
