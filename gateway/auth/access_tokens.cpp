#include "gateway/auth/access_tokens.h"

#include <openssl/rand.h>

#include <boost/json.hpp>

#include "gateway/auth/base64url.h"
#include "gateway/auth/jwt.h"

namespace orderline::auth {
namespace json = boost::json;

std::string issue_access_token(const AccessTokenConfig& config, const Principal& principal, std::int64_t now_s) {
  unsigned char id[16];
  RAND_bytes(id, sizeof id);
  json::array roles;
  for (const auto& r : role_names(principal.roles)) roles.emplace_back(r);
  json::object claims{{"iss", config.issuer},
                      {"aud", config.audience},
                      {"sub", principal.subject},
                      {"iat", now_s},
                      {"nbf", now_s},
                      {"exp", now_s + config.ttl_s},
                      {"jti", base64url_encode(std::string_view(reinterpret_cast<char*>(id), sizeof id))},
                      {"roles", std::move(roles)}};
  if (!principal.customer_id.empty()) claims["cid"] = principal.customer_id;
  if (!principal.account_key.empty()) claims["acct"] = principal.account_key;
  if (!principal.session_id.empty()) claims["sid"] = principal.session_id;
  return encode_hs256(json::object{{"alg", "HS256"}, {"typ", "JWT"}}, claims, config.secret);
}

}  // namespace orderline::auth
