// What authentication costs a request, in process (Google Benchmark): checking a bearer token
// (our HS256 one, a provider's RS256 and ES256 ones) with and without the verifier's cache of
// verified tokens, the admin service token, and one argon2id hash at each cost preset (what a
// login or registration costs a password worker). Not run by scripts/test; see benchmarks/README.md.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "gateway/auth/access_tokens.h"
#include "gateway/auth/passwords.h"
#include "gateway/auth/token_verifier.h"
#include "tests/support/test_idp.h"

namespace {

using namespace orderline;
namespace json = boost::json;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://sso.bench/realms/shop";

struct Setup {
  testing::TestIdp idp{kIssuer, "orderline-api"};
  testing::IdpKey rsa = idp.add_rsa_key("rsa-1");
  testing::IdpKey ec = idp.add_ec_key("ec-1");
  auth::VerifierConfig config = [] {
    auth::VerifierConfig c;
    c.local.secret = std::string(40, 's');
    c.service_token = "service-token";
    c.oidc.issuer = kIssuer;
    c.oidc.audience = "orderline-api";
    c.oidc.role_map = {{"shop-staff", "staff"}};
    return c;
  }();
  std::string local = auth::issue_access_token(
      config.local, auth::Principal{"account:k", "c1", auth::roles_of(auth::Role::customer), "local", "k", "s1"}, kNow);
  json::object staff{{"realm_access", json::object{{"roles", json::array{"shop-staff"}}}}};
  std::string rs256 = idp.token(rsa, staff, kNow);
  std::string es256 = idp.token(ec, staff, kNow);

  auth::TokenVerifier verifier(bool cached) {
    auto c = config;
    if (!cached) c.cache_capacity = 0;  // every check clears the cache: always a full check
    const auto jwks = idp.jwks();
    return auth::TokenVerifier(c, [] { return kNow; }, [jwks](std::string*) -> std::optional<std::string> { return jwks; });
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void verify(benchmark::State& state, const std::string& token, bool cached) {
  auto verifier = setup().verifier(cached);
  const std::string header = "Bearer " + token;
  for (auto _ : state) {
    auto checked = verifier.verify_bearer(header);
    if (!checked.ok()) state.SkipWithError("refused");
    benchmark::DoNotOptimize(checked);
  }
}

void BM_Verify_Local_HS256(benchmark::State& s) { verify(s, setup().local, s.range(0) != 0); }
void BM_Verify_Oidc_RS256(benchmark::State& s) { verify(s, setup().rs256, s.range(0) != 0); }
void BM_Verify_Oidc_ES256(benchmark::State& s) { verify(s, setup().es256, s.range(0) != 0); }
void BM_Verify_ServiceToken(benchmark::State& s) { verify(s, "service-token", true); }
BENCHMARK(BM_Verify_Local_HS256)->ArgName("cached")->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_Oidc_RS256)->ArgName("cached")->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_Oidc_ES256)->ArgName("cached")->Arg(0)->Arg(1);
BENCHMARK(BM_Verify_ServiceToken);

void BM_Argon2id(benchmark::State& state) {
  const auto cost = state.range(0) == 0 ? auth::PasswordCost::min() : auth::PasswordCost::interactive();
  for (auto _ : state) benchmark::DoNotOptimize(auth::hash_password("correct horse battery staple", cost));
}
BENCHMARK(BM_Argon2id)->ArgName("interactive")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
