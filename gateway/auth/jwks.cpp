#include "gateway/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>

#include "gateway/auth/base64url.h"

namespace orderline::auth {
namespace json = boost::json;

namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

std::optional<std::string> field(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

PKeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1) EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!key) return nullptr;
  return PKeyPtr(key, EVP_PKEY_free);
}

PKeyPtr rsa_key(const json::object& jwk) {
  auto n = field(jwk, "n");
  auto e = field(jwk, "e");
  if (!n || !e) return nullptr;
  auto n_bytes = base64url_decode(*n);
  auto e_bytes = base64url_decode(*e);
  if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty()) return nullptr;
  Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes->data()), static_cast<int>(n_bytes->size()), nullptr));
  Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes->data()), static_cast<int>(e_bytes->size()), nullptr));
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  PKeyPtr key;
  if (bld && bn_n && bn_e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
    key = from_params("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

PKeyPtr ec_key(const json::object& jwk) {
  if (field(jwk, "crv") != "P-256") return nullptr;
  auto x = field(jwk, "x");
  auto y = field(jwk, "y");
  if (!x || !y) return nullptr;
  auto x_bytes = base64url_decode(*x);
  auto y_bytes = base64url_decode(*y);
  if (!x_bytes || !y_bytes || x_bytes->size() != 32 || y_bytes->size() != 32) return nullptr;
  std::string point = "\x04" + *x_bytes + *y_bytes;  // uncompressed point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  PKeyPtr key;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1) {
    key = from_params("EC", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string out(pad > 0 ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  if (pad > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  BN_free(bn);
  return out;
}

}  // namespace

const Jwk* JwkSet::find(std::string_view kid) const {
  for (const auto& k : keys) {
    if (k.kid == kid) return &k;
  }
  return nullptr;
}

std::optional<JwkSet> parse_jwks(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("keys") || !doc.as_object().at("keys").is_array()) {
    if (error) *error = "not a JWKS document (an object with a \"keys\" array)";
    return std::nullopt;
  }
  JwkSet set;
  for (const auto& entry : doc.as_object().at("keys").as_array()) {
    if (!entry.is_object()) continue;
    const auto& jwk = entry.as_object();
    if (field(jwk, "use").value_or("sig") != "sig") continue;
    const auto kty = field(jwk, "kty").value_or("");
    Jwk key;
    key.kid = field(jwk, "kid").value_or("");
    if (kty == "RSA") {
      key.alg = "RS256";
      key.key = rsa_key(jwk);
    } else if (kty == "EC") {
      key.alg = "ES256";
      key.key = ec_key(jwk);
    }
    const auto declared = field(jwk, "alg");
    if (!key.key || key.kid.empty() || (declared && *declared != key.alg)) continue;
    set.keys.push_back(std::move(key));
  }
  return set;
}

json::object public_jwk(EVP_PKEY* key, std::string_view kid) {
  json::object jwk;
  jwk["kid"] = kid;
  jwk["use"] = "sig";
  if (EVP_PKEY_is_a(key, "RSA") == 1) {
    jwk["kty"] = "RSA";
    jwk["alg"] = "RS256";
    jwk["n"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E));
  } else {
    jwk["kty"] = "EC";
    jwk["alg"] = "ES256";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return jwk;
}

JwksCache::JwksCache(JwksFetch fetch, std::function<std::int64_t()> now_s, std::int64_t max_age_s,
                     std::int64_t min_refetch_s)
    : fetch_(std::move(fetch)), now_s_(std::move(now_s)), max_age_s_(max_age_s), min_refetch_s_(min_refetch_s) {
  const auto now = now_s_();
  if (claim_fetch(now)) fetch_and_store(now);
}

bool JwksCache::claim_fetch(std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (fetching_ || now - last_attempt_ < min_refetch_s_) return false;
  last_attempt_ = now;
  fetching_ = true;
  return true;
}

void JwksCache::fetch_and_store(std::int64_t now) {
  std::string error;
  std::optional<JwkSet> set;
  if (auto text = fetch_(&error)) set = parse_jwks(*text, &error);
  std::lock_guard lock(mutex_);
  fetching_ = false;
  if (!set) return;  // keep the keys we had
  keys_ = std::make_shared<const JwkSet>(std::move(*set));
  fetched_at_ = now;
}

std::shared_ptr<const JwkSet> JwksCache::current() {
  std::lock_guard lock(mutex_);
  return keys_;
}

Checked<Jwk> JwksCache::key(std::string_view kid) {
  Checked<Jwk> out;
  const auto now = now_s_();
  auto keys = current();
  bool stale = false;
  {
    std::lock_guard lock(mutex_);
    stale = !keys_ || now - fetched_at_ >= max_age_s_;
  }
  if (stale && claim_fetch(now)) {
    fetch_and_store(now);
    keys = current();
  }
  if (!keys) {
    out.failure = Failure::jwks_unavailable;
    return out;
  }
  const Jwk* found = keys->find(kid);
  // Rotation: a kid we have not seen may be the provider's new key.
  if (!found && claim_fetch(now)) {
    fetch_and_store(now);
    keys = current();
    found = keys ? keys->find(kid) : nullptr;
  }
  if (!found) {
    out.failure = Failure::unknown_kid;
    return out;
  }
  out.value = *found;
  return out;
}

}  // namespace orderline::auth
