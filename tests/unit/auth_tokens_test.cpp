// Bearer tokens against TokenVerifier with an injected clock and an in-memory JWKS: our own
// HS256 tokens, an OIDC provider's RS256/ES256 tokens, the admin service token, and every
// attack the issue lists (alg none, HS/RS confusion, expired, not yet valid, wrong issuer,
// wrong audience, tampered payload, unknown kid, garbage), plus key rotation by kid.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <thread>

#include "gateway/auth/access_tokens.h"
#include "gateway/auth/base64url.h"
#include "gateway/auth/token_verifier.h"
#include "tests/support/test_idp.h"

namespace orderline::auth {
namespace {

namespace json = boost::json;
using testing::TestIdp;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://sso.test/realms/shop";
const std::string kSecret(40, 's');

class Tokens : public ::testing::Test {
 protected:
  Tokens() : idp_(kIssuer, "orderline-api") {
    rsa_ = idp_.add_rsa_key("rsa-1");
    ec_ = idp_.add_ec_key("ec-1");
    jwks_ = idp_.jwks();
  }

  TokenVerifier& verifier() {
    if (!verifier_) {
      VerifierConfig config;
      config.local.secret = kSecret;
      config.service_token = "service-token-123";
      config.oidc.issuer = kIssuer;
      config.oidc.audience = "orderline-api";
      config.oidc.role_map = {{"shop-staff", "staff"}, {"shop-customer", "customer"}, {"shop-ops", "ops"}};
      verifier_ = std::make_unique<TokenVerifier>(
          config, [this] { return now_; },
          [this](std::string*) -> std::optional<std::string> {
            ++fetches_;
            return jwks_;
          });
    }
    return *verifier_;
  }

  Principal customer() const { return Principal{"account:abc", "cust-1", roles_of(Role::customer), "local", "abc", "s1"}; }
  AccessTokenConfig local_config() const {
    AccessTokenConfig c;
    c.secret = kSecret;
    return c;
  }
  json::object staff_claims() const {
    return json::object{{"realm_access", json::object{{"roles", json::array{"shop-staff", "offline_access"}}}}};
  }

  Failure failure_of(const std::string& token) {
    auto checked = verifier().verify_token(token);
    EXPECT_FALSE(checked.ok()) << token;
    return checked.failure;
  }

  // Re-signs nothing: swaps the payload of a token for another one.
  static std::string with_payload(const std::string& token, const json::object& claims) {
    const auto a = token.find('.');
    const auto b = token.find('.', a + 1);
    return token.substr(0, a) + "." + base64url_encode(json::serialize(claims)) + token.substr(b);
  }

  TestIdp idp_;
  testing::IdpKey rsa_;
  testing::IdpKey ec_;
  std::string jwks_;
  std::int64_t now_ = kNow;
  int fetches_ = 0;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(Tokens, OurOwnTokensCarryTheRolesAndCustomer) {
  const auto token = issue_access_token(local_config(), customer(), kNow);
  auto checked = verifier().verify_token(token);
  ASSERT_TRUE(checked.ok()) << failure_name(checked.failure);
  EXPECT_EQ(checked.value->customer_id, "cust-1");
  EXPECT_EQ(checked.value->subject, "account:abc");
  EXPECT_TRUE(checked.value->customer_only());
  EXPECT_EQ(checked.value->source, "local");
  // Via the header, with any capitalisation of the scheme.
  EXPECT_TRUE(verifier().verify_bearer("Bearer " + token).ok());
  EXPECT_TRUE(verifier().verify_bearer("bearer  " + token).ok());
}

TEST_F(Tokens, TheServiceTokenIsAnAdmin) {
  auto checked = verifier().verify_bearer("Bearer service-token-123");
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked.value->has(Role::admin));
  EXPECT_EQ(checked.value->source, "service");
  EXPECT_EQ(failure_of("service-token-12"), Failure::malformed);
}

TEST_F(Tokens, MissingOrNotBearer) {
  EXPECT_EQ(verifier().verify_bearer(std::nullopt).failure, Failure::missing);
  EXPECT_EQ(verifier().verify_bearer("").failure, Failure::missing);
  EXPECT_EQ(verifier().verify_bearer("Bearer ").failure, Failure::missing);
  EXPECT_EQ(verifier().verify_bearer("Basic dXNlcjpwYXNz").failure, Failure::missing);
}

TEST_F(Tokens, GarbageIsMalformed) {
  for (const std::string& token : std::vector<std::string>{"garbage", "a.b", "a.b.c", "a.b.c.d", "...", "e30.e30.", "e30.e30.AAAA", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA",
        "W10.e30.AAAA" /* header is an array */, "eyJhbGciOjF9.e30.AAAA" /* alg not a string */,
        std::string(20000, 'a') + ".e30.AAAA", "e30=.e30.AAAA" /* padding */}) {
    EXPECT_EQ(failure_of(token), Failure::malformed) << token;
  }
}

TEST_F(Tokens, AlgNoneIsRefused) {
  json::object claims = idp_.claims(staff_claims(), kNow);
  const std::string oidc_none = base64url_encode(R"({"alg":"none","typ":"JWT","kid":"rsa-1"})") + "." +
                                base64url_encode(json::serialize(claims)) + ".";
  EXPECT_EQ(failure_of(oidc_none), Failure::alg_not_allowed);
  json::object local{{"iss", "orderline"}, {"aud", "orderline-api"}, {"sub", "x"}, {"exp", kNow + 60},
                     {"roles", json::array{"admin"}}};
  const std::string local_none =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(json::serialize(local)) + ".";
  EXPECT_EQ(failure_of(local_none), Failure::alg_not_allowed);
  EXPECT_EQ(failure_of(base64url_encode(R"({"alg":"None"})") + "." + base64url_encode(json::serialize(local)) + "."),
            Failure::alg_not_allowed);
}

TEST_F(Tokens, HsRsKeyConfusionIsRefused) {
  // The classic attack: HS256 "signed" with the provider's public key as the HMAC secret.
  const auto claims = idp_.claims(staff_claims(), kNow);
  for (const std::string& secret : std::vector<std::string>{jwks_, json::serialize(auth::public_jwk(rsa_.key.get(), "rsa-1"))}) {
    const auto forged = encode_hs256(json::object{{"alg", "HS256"}, {"kid", "rsa-1"}}, claims, secret);
    EXPECT_EQ(failure_of(forged), Failure::alg_not_allowed);
  }
  // And the other way round: an RS256 token claiming our issuer is not checked with a key.
  json::object local{{"iss", "orderline"}, {"aud", "orderline-api"}, {"sub", "x"}, {"exp", kNow + 60},
                     {"roles", json::array{"admin"}}};
  EXPECT_EQ(failure_of(auth::encode_signed(json::object{{"alg", "RS256"}, {"kid", "rsa-1"}}, local, rsa_.key.get(),
                                           "RS256")),
            Failure::alg_not_allowed);
  // An ES256 token naming the RSA key's kid (or the reverse): the key decides the algorithm.
  EXPECT_EQ(failure_of(idp_.token(ec_, staff_claims(), kNow, json::object{{"kid", "rsa-1"}})), Failure::alg_not_allowed);
  EXPECT_EQ(failure_of(idp_.token(rsa_, staff_claims(), kNow, json::object{{"kid", "ec-1"}})), Failure::alg_not_allowed);
}

TEST_F(Tokens, ProviderTokensRs256AndEs256MapTheirRoles) {
  for (const auto& key : {rsa_, ec_}) {
    auto checked = verifier().verify_token(idp_.token(key, staff_claims(), kNow));
    ASSERT_TRUE(checked.ok()) << key.alg << " " << failure_name(checked.failure);
    EXPECT_EQ(checked.value->roles, roles_of(Role::staff));
    EXPECT_EQ(checked.value->source, "oidc");
    EXPECT_EQ(checked.value->subject, "oidc:user-1");
  }
  // A provider customer names our customer id in a claim.
  auto customer = verifier().verify_token(idp_.token(
      rsa_, json::object{{"realm_access", json::object{{"roles", json::array{"shop-customer"}}}}, {"customer_id", "c-9"}},
      kNow));
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(customer.value->customer_id, "c-9");
  EXPECT_TRUE(customer.value->customer_only());
  // Roles we do not map grant nothing.
  EXPECT_EQ(failure_of(idp_.token(rsa_, {}, kNow)), Failure::no_roles);
}

TEST_F(Tokens, ExpiredAndNotYetValid) {
  const auto token = issue_access_token(local_config(), customer(), kNow - 900 - 31);  // 15 min + leeway ago
  EXPECT_EQ(failure_of(token), Failure::expired);
  EXPECT_EQ(failure_of(idp_.token(rsa_, staff_claims(), kNow - 400)), Failure::expired);
  EXPECT_EQ(failure_of(idp_.token(rsa_, json::object{{"realm_access", staff_claims().at("realm_access")},
                                                      {"nbf", kNow + 120}},
                                  kNow)),
            Failure::not_yet_valid);
  EXPECT_EQ(failure_of(issue_access_token(local_config(), customer(), kNow + 600)), Failure::not_yet_valid);
  // Within the leeway: accepted.
  EXPECT_TRUE(verifier().verify_token(issue_access_token(local_config(), customer(), kNow + 10)).ok());
  // No exp at all: never accepted.
  auto claims = idp_.claims(staff_claims(), kNow);
  claims.erase("exp");
  EXPECT_EQ(failure_of(auth::encode_signed(json::object{{"alg", "RS256"}, {"kid", "rsa-1"}}, claims, rsa_.key.get(),
                                           "RS256")),
            Failure::expired);
}

TEST_F(Tokens, AVerifiedTokenStopsWorkingWhenItExpires) {
  const auto token = issue_access_token(local_config(), customer(), kNow);
  ASSERT_TRUE(verifier().verify_token(token).ok());  // now cached
  now_ = kNow + 900 + 31;
  EXPECT_EQ(failure_of(token), Failure::expired);
}

TEST_F(Tokens, ARevokedSubjectsEarlierTokensStop) {
  const auto token = issue_access_token(local_config(), customer(), kNow);
  ASSERT_TRUE(verifier().verify_token(token).ok());  // cached
  verifier().revoke_subject("account:abc", kNow);
  EXPECT_EQ(failure_of(token), Failure::revoked);
  // Tokens issued after the revocation work (e.g. an account reopened).
  now_ = kNow + 1;
  EXPECT_TRUE(verifier().verify_token(issue_access_token(local_config(), customer(), kNow + 1)).ok());
  // Other subjects are untouched.
  auto other = customer();
  other.subject = "account:def";
  EXPECT_TRUE(verifier().verify_token(issue_access_token(local_config(), other, kNow)).ok());
}

TEST_F(Tokens, WrongIssuerOrAudience) {
  EXPECT_EQ(failure_of(idp_.token(rsa_, json::object{{"realm_access", staff_claims().at("realm_access")},
                                                      {"iss", "https://evil.test/realms/shop"}},
                                  kNow)),
            Failure::wrong_issuer);
  EXPECT_EQ(failure_of(idp_.token(rsa_, json::object{{"realm_access", staff_claims().at("realm_access")},
                                                      {"aud", "another-client"}},
                                  kNow)),
            Failure::wrong_audience);
  auto other = local_config();
  other.audience = "another-api";
  EXPECT_EQ(failure_of(issue_access_token(other, customer(), kNow)), Failure::wrong_audience);
  // Our issuer with another secret: a forgery.
  other = local_config();
  other.secret = std::string(40, 'x');
  EXPECT_EQ(failure_of(issue_access_token(other, customer(), kNow)), Failure::bad_signature);
}

TEST_F(Tokens, TamperedPayloadsAreRefused) {
  const auto token = issue_access_token(local_config(), customer(), kNow);
  json::object raised{{"iss", "orderline"}, {"aud", "orderline-api"}, {"sub", "account:abc"}, {"iat", kNow},
                      {"exp", kNow + 900},  {"roles", json::array{"admin"}}};
  EXPECT_EQ(failure_of(with_payload(token, raised)), Failure::bad_signature);
  const auto provider = idp_.token(rsa_, staff_claims(), kNow);
  auto claims = idp_.claims(json::object{{"realm_access", json::object{{"roles", json::array{"shop-ops"}}}}}, kNow);
  EXPECT_EQ(failure_of(with_payload(provider, claims)), Failure::bad_signature);
  const auto ec_token = idp_.token(ec_, staff_claims(), kNow);
  EXPECT_EQ(failure_of(with_payload(ec_token, claims)), Failure::bad_signature);
  // A flipped signature byte.
  auto flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_NE(verifier().verify_token(flipped).failure, Failure::missing);
  EXPECT_FALSE(verifier().verify_token(flipped).ok());
}

TEST_F(Tokens, UnknownKidAndRotation) {
  TestIdp rotated(kIssuer, "orderline-api");
  auto next = rotated.add_rsa_key("rsa-2");
  const auto token = rotated.token(next, staff_claims(), kNow);
  EXPECT_EQ(failure_of(token), Failure::unknown_kid);
  EXPECT_EQ(failure_of(idp_.token(rsa_, staff_claims(), kNow, json::object{{"kid", ""}})), Failure::unknown_kid);
  const int after_first = fetches_;

  // The provider publishes its new key: within the refetch interval we do not ask again...
  jwks_ = rotated.jwks();
  now_ = kNow + 5;
  EXPECT_EQ(failure_of(rotated.token(next, staff_claims(), now_)), Failure::unknown_kid);
  EXPECT_EQ(fetches_, after_first);
  // ... after it, an unknown kid makes us fetch once, and the new key works.
  now_ = kNow + 31;
  auto checked = verifier().verify_token(rotated.token(next, staff_claims(), now_));
  EXPECT_TRUE(checked.ok()) << failure_name(checked.failure);
  EXPECT_EQ(fetches_, after_first + 1);
  // The retired key is gone from the set.
  EXPECT_EQ(failure_of(idp_.token(rsa_, staff_claims(), now_)), Failure::unknown_kid);
}

TEST_F(Tokens, AnUnreachableJwksIsReported) {
  VerifierConfig config;
  config.local.secret = kSecret;
  config.oidc.issuer = kIssuer;
  config.oidc.role_map = {{"shop-staff", "staff"}};
  TokenVerifier offline(config, [] { return kNow; }, [](std::string* error) -> std::optional<std::string> {
    *error = "connection refused";
    return std::nullopt;
  });
  EXPECT_EQ(offline.verify_token(idp_.token(rsa_, staff_claims(), kNow)).failure, Failure::jwks_unavailable);
}

TEST(Jwks, SkipsKeysItCannotUse) {
  TestIdp idp(kIssuer);
  auto rsa = idp.add_rsa_key("rsa-1");
  auto jwk = public_jwk(rsa.key.get(), "rsa-1");
  json::object enc = jwk;
  enc["use"] = "enc";
  enc["kid"] = "enc-1";
  json::object mismatched = jwk;
  mismatched["alg"] = "ES256";
  mismatched["kid"] = "bad-alg";
  json::object oct{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  json::object broken{{"kty", "EC"}, {"kid", "short"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", "AAAA"}};
  std::string error;
  auto set = parse_jwks(json::serialize(json::object{{"keys", json::array{jwk, enc, mismatched, oct, broken}}}), &error);
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "rsa-1");
  EXPECT_FALSE(parse_jwks("{\"keys\": 3}", &error));
  EXPECT_FALSE(parse_jwks("not json", &error));
}

// A one-shot HTTP server on loopback: answers each connection with `status` and `body`.
class TinyHttp {
 public:
  TinyHttp(int status, std::string body, int connections) : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, status, body = std::move(body), connections] {
      for (int i = 0; i < connections; ++i) {
        boost::asio::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec) return;
        boost::asio::streambuf request;
        boost::asio::read_until(socket, request, "\r\n\r\n", ec);
        const std::string answer = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
                                   "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        boost::asio::write(socket, boost::asio::buffer(answer), ec);
      }
    });
  }
  ~TinyHttp() { thread_.join(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/certs"; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(JwksSource, FetchesAFileOrAnHttpUrl) {
  TestIdp idp(kIssuer);
  idp.add_ec_key("ec-1");
  const auto document = idp.jwks();
  std::string error;
  {
    TinyHttp server(200, document, 1);
    auto fetched = jwks_source(server.url())(&error);
    ASSERT_TRUE(fetched) << error;
    EXPECT_EQ(*fetched, document);
  }
  {
    TinyHttp server(404, "{}", 1);
    EXPECT_FALSE(jwks_source(server.url())(&error));
    EXPECT_NE(error.find("404"), std::string::npos) << error;
  }
  EXPECT_FALSE(jwks_source("/nonexistent/jwks.json")(&error));
  EXPECT_NE(error.find("/nonexistent/jwks.json"), std::string::npos);
}

TEST(Base64Url, RoundTripsAndRefusesNonCanonicalText) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\x00\xfe", 3)}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("Zm9v="));
  EXPECT_FALSE(base64url_decode("Zm9v+"));
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zh"));  // non-zero leftover bits
}

}  // namespace
}  // namespace orderline::auth
