#include "gateway/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>

#include "gateway/auth/base64url.h"

namespace orderline::auth {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTokenSize = 16 * 1024;

std::optional<json::object> decode_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 16;
  auto value = json::parse(*bytes, ec, {}, options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// JWS carries ECDSA signatures as R||S; OpenSSL wants DER.
std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return std::nullopt;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> der_to_raw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  const bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
                  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

bool key_fits(EVP_PKEY* key, std::string_view alg) {
  if (alg == "RS256") return EVP_PKEY_is_a(key, "RSA") == 1 && EVP_PKEY_get_bits(key) >= 2048;
  if (alg == "ES256") return EVP_PKEY_is_a(key, "EC") == 1 && EVP_PKEY_get_bits(key) == 256;
  return false;
}

std::optional<std::int64_t> numeric_claim(const json::object& claims, std::string_view name, bool& present) {
  auto it = claims.find(name);
  present = it != claims.end();
  if (!present) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64() && it->value().as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(it->value().as_uint64());
  }
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().as_double());
  return std::nullopt;
}

}  // namespace

Checked<Jwt> parse_jwt(std::string_view token) {
  Checked<Jwt> out;
  out.failure = Failure::malformed;
  if (token.empty() || token.size() > kMaxTokenSize) return out;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return out;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return out;
  auto header = decode_object(token.substr(0, first));
  auto claims = decode_object(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !claims || !signature) return out;
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->value().is_string()) return out;
  Jwt jwt;
  jwt.alg = std::string(alg->value().as_string());
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->value().is_string()) return out;
    jwt.kid = std::string(kid->value().as_string());
  }
  jwt.header = std::move(*header);
  jwt.claims = std::move(*claims);
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = std::move(*signature);
  out.value = std::move(jwt);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &length);
  return std::string(reinterpret_cast<char*>(mac), length);
}

bool verify_hs256(const Jwt& jwt, std::string_view secret) {
  if (jwt.alg != "HS256" || secret.empty()) return false;
  const auto expected = hmac_sha256(secret, jwt.signing_input);
  return jwt.signature.size() == expected.size() &&
         CRYPTO_memcmp(jwt.signature.data(), expected.data(), expected.size()) == 0;
}

bool verify_signature(const Jwt& jwt, EVP_PKEY* key, std::string_view alg) {
  if (!key || jwt.alg != alg || !key_fits(key, alg)) return false;
  std::string signature = jwt.signature;
  if (alg == "ES256") {
    auto der = raw_to_der(jwt.signature);
    if (!der) return false;
    signature = std::move(*der);
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                          jwt.signing_input.size()) == 1;
}

namespace {
std::string signing_input(const json::object& header, const json::object& claims) {
  return base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
}
}  // namespace

std::string encode_hs256(const json::object& header, const json::object& claims, std::string_view secret) {
  const auto input = signing_input(header, claims);
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

std::string encode_signed(const json::object& header, const json::object& claims, EVP_PKEY* key,
                          std::string_view alg) {
  const auto input = signing_input(header, claims);
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return {};
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return {};
  }
  signature.resize(length);
  if (alg == "ES256") {
    auto raw = der_to_raw(signature);
    if (!raw) return {};
    signature = std::move(*raw);
  }
  return input + "." + base64url_encode(signature);
}

std::optional<Failure> check_claims(const json::object& claims, const ClaimRules& rules) {
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->value().is_string() || iss->value().as_string() != rules.issuer) {
    return Failure::wrong_issuer;
  }
  if (!rules.audience.empty()) {
    auto aud = claims.find("aud");
    bool found = false;
    if (aud != claims.end() && aud->value().is_string()) found = aud->value().as_string() == rules.audience;
    if (aud != claims.end() && aud->value().is_array()) {
      for (const auto& a : aud->value().as_array()) found = found || (a.is_string() && a.as_string() == rules.audience);
    }
    if (!found) return Failure::wrong_audience;
  }
  bool present = false;
  auto exp = numeric_claim(claims, "exp", present);
  if (!exp) return present ? Failure::malformed : Failure::expired;  // no expiry: never accepted
  if (rules.now_s >= *exp + rules.leeway_s) return Failure::expired;
  auto nbf = numeric_claim(claims, "nbf", present);
  if (present && !nbf) return Failure::malformed;
  if (nbf && rules.now_s + rules.leeway_s < *nbf) return Failure::not_yet_valid;
  auto iat = numeric_claim(claims, "iat", present);
  if (present && !iat) return Failure::malformed;
  if (iat && rules.now_s + rules.leeway_s < *iat) return Failure::not_yet_valid;
  return std::nullopt;
}

}  // namespace orderline::auth
