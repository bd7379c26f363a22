#include "gateway/auth/token_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

namespace orderline::auth {
namespace json = boost::json;

namespace {

std::string digest(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), length);
}

// Compares digests, so the time taken says nothing about where the inputs differ.
bool same_secret(std::string_view a, std::string_view b) {
  const auto da = digest(a);
  const auto db = digest(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string string_claim(const json::object& claims, std::string_view name) {
  auto it = claims.find(name);
  return it != claims.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

std::int64_t time_claim(const json::object& claims, std::string_view name) {
  auto it = claims.find(name);
  if (it == claims.end()) return 0;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().as_uint64());
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().as_double());
  return 0;
}

template <typename T>
Checked<T> fail(Failure f) {
  Checked<T> out;
  out.failure = f;
  return out;
}

}  // namespace

TokenVerifier::TokenVerifier(VerifierConfig config, std::function<std::int64_t()> now_s, JwksFetch jwks_fetch)
    : config_(std::move(config)), now_s_(std::move(now_s)) {
  if (!config_.oidc.issuer.empty()) {
    if (!jwks_fetch) jwks_fetch = jwks_source(config_.oidc.jwks);
    jwks_ = std::make_unique<JwksCache>(std::move(jwks_fetch), now_s_);
  }
}

Checked<Principal> TokenVerifier::verify_bearer(std::optional<std::string_view> authorization) const {
  if (!authorization) return fail<Principal>(Failure::missing);
  std::string_view value = *authorization;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return fail<Principal>(Failure::missing);
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return fail<Principal>(Failure::missing);
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return verify_token(value);
}

Checked<Principal> TokenVerifier::verify_token(std::string_view token) const {
  const auto now = now_s_();
  if (!config_.service_token.empty() && same_secret(token, config_.service_token)) {
    Checked<Principal> out;
    out.value = Principal{"service:admin", "", roles_of(Role::admin), "service", "", ""};
    return out;
  }
  if (config_.cache_capacity > 0) {
    // Verified tokens are remembered until they expire: a signature check per request
    // (RS256 especially) would be most of the gateway's cost.
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(std::string(token));
    if (it != cache_.end()) {
      if (now < it->second.exp + config_.leeway_s) {
        if (is_revoked(it->second.principal, it->second.iat)) return fail<Principal>(Failure::revoked);
        Checked<Principal> out;
        out.value = it->second.principal;
        return out;
      }
      cache_.erase(it);
    }
  }
  std::int64_t exp = 0;
  std::int64_t iat = 0;
  auto checked = verify_uncached(token, now, exp, iat);
  if (checked.ok() && is_revoked(*checked.value, iat)) return fail<Principal>(Failure::revoked);
  if (checked.ok() && config_.cache_capacity > 0) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= config_.cache_capacity) cache_.clear();  // bounded; refilled on demand
    cache_.emplace(std::string(token), Cached{*checked.value, exp, iat});
  }
  return checked;
}

void TokenVerifier::revoke_subject(const std::string& subject, std::int64_t before_s) {
  std::lock_guard lock(revoked_mutex_);
  // Bounded: an entry matters only while tokens issued before it can still be valid.
  if (revoked_.size() >= config_.cache_capacity) {
    const auto now = now_s_();
    std::erase_if(revoked_, [&](const auto& e) { return e.second + config_.local.ttl_s + config_.leeway_s < now; });
  }
  auto& at = revoked_[subject];
  at = std::max(at, before_s);
}

bool TokenVerifier::is_revoked(const Principal& principal, std::int64_t iat) const {
  {
    std::lock_guard lock(revoked_mutex_);
    auto it = revoked_.find(principal.subject);
    if (it != revoked_.end() && iat <= it->second) return true;
  }
  return config_.revoked_in_log && config_.revoked_in_log(principal, iat);
}

Checked<Principal> TokenVerifier::verify_uncached(std::string_view token, std::int64_t now, std::int64_t& exp,
                                                  std::int64_t& iat) const {
  auto parsed = parse_jwt(token);
  if (!parsed.ok()) return fail<Principal>(parsed.failure);
  const Jwt& jwt = *parsed.value;
  exp = time_claim(jwt.claims, "exp");
  iat = time_claim(jwt.claims, "iat");
  // The unverified issuer only picks which key and algorithm apply; both paths check it
  // again once the signature is known to be good.
  const auto iss = string_claim(jwt.claims, "iss");
  if (iss == config_.local.issuer) return local_principal(jwt, now);
  if (jwks_ && iss == config_.oidc.issuer) return oidc_principal(jwt, now);
  return fail<Principal>(Failure::wrong_issuer);
}

Checked<Principal> TokenVerifier::local_principal(const Jwt& jwt, std::int64_t now) const {
  if (jwt.alg != "HS256") return fail<Principal>(Failure::alg_not_allowed);
  if (!verify_hs256(jwt, config_.local.secret)) return fail<Principal>(Failure::bad_signature);
  if (auto bad = check_claims(jwt.claims, {config_.local.issuer, config_.local.audience, now, config_.leeway_s})) {
    return fail<Principal>(*bad);
  }
  Principal p;
  p.source = "local";
  p.subject = string_claim(jwt.claims, "sub");
  p.customer_id = string_claim(jwt.claims, "cid");
  p.account_key = string_claim(jwt.claims, "acct");
  p.session_id = string_claim(jwt.claims, "sid");
  if (auto roles = jwt.claims.find("roles"); roles != jwt.claims.end() && roles->value().is_array()) {
    for (const auto& r : roles->value().as_array()) {
      if (!r.is_string()) continue;
      if (auto role = role_from_name(r.as_string())) p.roles = p.roles | *role;
    }
  }
  if (p.roles == 0 || p.subject.empty()) return fail<Principal>(Failure::no_roles);
  Checked<Principal> out;
  out.value = std::move(p);
  return out;
}

Checked<Principal> TokenVerifier::oidc_principal(const Jwt& jwt, std::int64_t now) const {
  if (jwt.alg != "RS256" && jwt.alg != "ES256") return fail<Principal>(Failure::alg_not_allowed);
  auto jwk = jwks_->key(jwt.kid);
  if (!jwk.ok()) return fail<Principal>(jwk.failure);
  // The key decides the algorithm: an RS256 key never checks an ES256 or HS256 token.
  if (jwk.value->alg != jwt.alg) return fail<Principal>(Failure::alg_not_allowed);
  if (!verify_signature(jwt, jwk.value->key.get(), jwt.alg)) return fail<Principal>(Failure::bad_signature);
  if (auto bad = check_claims(jwt.claims, {config_.oidc.issuer, config_.oidc.audience, now, config_.leeway_s})) {
    return fail<Principal>(*bad);
  }
  Principal p;
  p.source = "oidc";
  p.subject = "oidc:" + string_claim(jwt.claims, "sub");
  // Keycloak: {"realm_access": {"roles": ["shop-staff", ...]}}
  if (auto realm = jwt.claims.find("realm_access"); realm != jwt.claims.end() && realm->value().is_object()) {
    const auto& access = realm->value().as_object();
    if (auto roles = access.find("roles"); roles != access.end() && roles->value().is_array()) {
      for (const auto& r : roles->value().as_array()) {
        if (!r.is_string()) continue;
        for (const auto& [theirs, ours] : config_.oidc.role_map) {
          if (r.as_string() != theirs) continue;
          if (auto role = role_from_name(ours)) p.roles = p.roles | *role;
        }
      }
    }
  }
  if (p.has(Role::customer)) p.customer_id = string_claim(jwt.claims, config_.oidc.customer_claim);
  if (p.roles == 0 || p.subject == "oidc:") return fail<Principal>(Failure::no_roles);
  Checked<Principal> out;
  out.value = std::move(p);
  return out;
}

}  // namespace orderline::auth
