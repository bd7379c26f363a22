// Accounts and access against the real `orderd serve`: every role against every route (a
// table written out here, which must cover the router's), customers confined to their own
// data (404 for anyone else's), token attacks counted by reason in /metrics, refresh-token
// rotation and reuse, rate limits and lockout, an OIDC provider's tokens, security headers
// and CORS, and erasure of a customer's personal data.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "gateway/auth/base64url.h"
#include "gateway/auth/jwt.h"
#include "gateway/routes.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/test_idp.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HeaderList;
using testing::HttpClient;
using testing::HttpResponse;

const HeaderList kNoAuth = {{"Authorization", ""}};
constexpr const char* kIssuer = "https://sso.test/realms/shop";

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// orderline_auth_failures_total{reason="..."} of a /metrics text (0 when absent).
double auth_failures(HttpClient& client, const std::string& reason) {
  const auto text = client.get("/metrics", kNoAuth).body;
  const std::string prefix = "orderline_auth_failures_total{reason=\"" + reason + "\"} ";
  const auto at = text.find(prefix);
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + prefix.size(), text.find('\n', at) - at - prefix.size()));
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    idp_ = new testing::TestIdp(kIssuer, "orderline-api");
    rsa_ = new testing::IdpKey(idp_->add_rsa_key("rsa-1"));
    ec_ = new testing::IdpKey(idp_->add_ec_key("ec-1"));
    write_file(dir_->path() + "/jwks.json", idp_->jwks());
    server_ = new testing::OrderdProcess(
        dir_->path() + "/data",
        {"--oidc-issuer", kIssuer, "--oidc-audience", "orderline-api", "--oidc-jwks", dir_->path() + "/jwks.json",
         "--oidc-role", "shop-staff=staff", "--oidc-role", "shop-customer=customer", "--cors-origin",
         "https://shop.example.com",
         // Without the order saga: these tests make the order moves themselves (pay, ship) and
         // count the events of an order; the saga would move it on its own meanwhile.
         "--no-saga"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ec_;
    delete rsa_;
    delete idp_;
    delete dir_;
  }
  void SetUp() override { client_ = std::make_unique<HttpClient>(server_->port()); }

  HttpClient& http() { return *client_; }
  static std::string unique(const std::string& name) { return testing::unique_email(name); }

  // Places an order as the caller (a customer orders for themself) and waits until it is readable.
  std::string place_order(const std::string& token, const std::string& customer_id = "") {
    std::string body = R"({"currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}])";
    if (!customer_id.empty()) body += R"(,"customer_id":")" + customer_id + "\"";
    auto r = http().post("/api/v1/orders", body + "}", testing::bearer(token));
    EXPECT_EQ(r.status, 201u) << r.body;
    if (r.status != 201) return "";
    const auto id = str(r.json(), "order_id");
    EXPECT_EQ(http().get("/api/v1/orders/" + id + "?after=" + str(r.json(), "position"), testing::bearer(token)).status,
              200u);
    return id;
  }

  static testing::TempDir* dir_;
  static testing::TestIdp* idp_;
  static testing::IdpKey* rsa_;
  static testing::IdpKey* ec_;
  static testing::OrderdProcess* server_;
  std::unique_ptr<HttpClient> client_;
};

testing::TempDir* AuthTest::dir_ = nullptr;
testing::TestIdp* AuthTest::idp_ = nullptr;
testing::IdpKey* AuthTest::rsa_ = nullptr;
testing::IdpKey* AuthTest::ec_ = nullptr;
testing::OrderdProcess* AuthTest::server_ = nullptr;

// Who may call each route, written out independently of the router's table (the test fails
// if the two disagree, or a route is missing here). "public": no token needed.
const std::map<std::pair<std::string, std::string>, std::string> kExpectedAccess = {
    {{"GET", "/healthz"}, "public"},
    {{"GET", "/readyz"}, "public"},
    {{"GET", "/metrics"}, "public"},
    {{"GET", "/api/v1/products"}, "public"},
    {{"GET", "/api/v1/products/{sku}"}, "public"},
    {{"GET", "/api/v1/products/{sku}/related"}, "public"},
    {{"POST", "/api/v1/auth/register"}, "public"},
    {{"POST", "/api/v1/auth/login"}, "public"},
    {{"POST", "/api/v1/auth/refresh"}, "public"},
    {{"POST", "/api/v1/auth/logout"}, "public"},
    {{"GET", "/api/v1/auth/me"}, "customer,staff,ops,analyst,admin"},
    {{"POST", "/api/v1/auth/password"}, "customer,staff,ops,analyst,admin"},
    {{"POST", "/api/v1/auth/password-reset"}, "public"},
    {{"POST", "/api/v1/auth/password-reset/confirm"}, "public"},
    {{"POST", "/api/v1/customers"}, "staff,admin"},
    {{"GET", "/api/v1/customers/{customer_id}"}, "customer,staff,admin"},
    {{"DELETE", "/api/v1/customers/{customer_id}"}, "customer,admin"},
    {{"GET", "/api/v1/customers/{customer_id}/orders"}, "customer,staff,admin"},
    {{"GET", "/api/v1/customers/{customer_id}/recommendations"}, "customer,staff,admin"},
    {{"POST", "/api/v1/orders"}, "customer,staff,admin"},
    {{"GET", "/api/v1/orders/{order_id}"}, "customer,staff,admin"},
    {{"GET", "/api/v1/orders/{order_id}/events"}, "customer,staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/cancel"}, "customer,staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/pay"}, "customer,staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/ship"}, "staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/deliver"}, "staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/return"}, "customer,staff,admin"},
    {{"POST", "/api/v1/orders/{order_id}/returns/{return_id}/receive"}, "staff,admin"},
    {{"POST", "/api/v1/admin/accounts"}, "admin"},
    {{"POST", "/api/v1/admin/accounts/password-reset"}, "staff,admin"},
    {{"GET", "/api/v1/admin/orders"}, "staff,admin"},
    {{"GET", "/api/v1/admin/orders/export"}, "staff,admin"},
    {{"GET", "/api/v1/admin/projections"}, "ops,admin"},
    {{"GET", "/api/v1/admin/projections/{name}"}, "ops,admin"},
    {{"POST", "/api/v1/admin/projections/{name}/rebuild"}, "ops,admin"},
    {{"POST", "/api/v1/admin/projections/{name}/pause"}, "ops,admin"},
    {{"POST", "/api/v1/admin/projections/{name}/resume"}, "ops,admin"},
    {{"POST", "/api/v1/admin/projections/{name}/reset"}, "ops,admin"},
    {{"GET", "/api/v1/admin/deadletters"}, "ops,admin"},
    {{"POST", "/api/v1/admin/deadletters/{id}/retry"}, "ops,admin"},
    {{"POST", "/api/v1/admin/deadletters/{id}/skip"}, "ops,admin"},
    {{"POST", "/api/v1/admin/backup"}, "ops,admin"},
    {{"POST", "/api/v1/admin/import/orders"}, "admin"},
    // Public at the HTTP level: each subscription checks its token (stream_test.cpp).
    {{"GET", "/api/v1/stream"}, "public"},
    {{"POST", "/api/v1/admin/products"}, "staff,admin"},
    {{"POST", "/api/v1/admin/products/{sku}/price"}, "staff,admin"},
    {{"POST", "/api/v1/admin/products/{sku}/restock"}, "staff,admin"},
    {{"POST", "/api/v1/admin/products/{sku}/discontinue"}, "staff,admin"},
    {{"PUT", "/api/v1/admin/log-level"}, "ops,admin"},
};

TEST_F(AuthTest, EveryRoleAgainstEveryRoute) {
  // The table above covers exactly the router's routes.
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& r : gateway::route_table()) served.emplace(std::string(r.method), std::string(r.path));
  for (const auto& op : served) EXPECT_TRUE(kExpectedAccess.count(op)) << op.first << " " << op.second << " not in the matrix";
  for (const auto& [op, who] : kExpectedAccess) EXPECT_TRUE(served.count(op)) << op.first << " " << op.second << " not served";

  const auto customer = testing::register_and_login(http(), unique("matrix-customer"));
  const auto order_id = place_order(customer.access_token);
  struct Caller {
    std::string role;  // "" anonymous
    std::string token;
  };
  const std::vector<Caller> callers = {
      {"", ""},
      {"customer", customer.access_token},
      {"staff", testing::staff_login(http(), unique("matrix-staff"), "staff").access_token},
      {"ops", testing::staff_login(http(), unique("matrix-ops"), "ops").access_token},
      {"analyst", testing::staff_login(http(), unique("matrix-analyst"), "analyst").access_token},
      {"admin", testing::staff_login(http(), unique("matrix-admin"), "admin").access_token},
      {"admin", testing::OrderdProcess::kAdminToken},  // the service token
      {"staff", idp_->token(*rsa_, json::object{{"realm_access", json::object{{"roles", json::array{"shop-staff"}}}}})},
  };
  int checked = 0;
  for (const auto& [op, who] : kExpectedAccess) {
    std::string path = op.second;
    auto replace = [&](const std::string& name, const std::string& value) {
      if (auto at = path.find(name); at != std::string::npos) path.replace(at, name.size(), value);
    };
    replace("{order_id}", order_id);
    // DELETE must not forget the matrix customer: an unknown id (404 once allowed in).
    replace("{customer_id}", op.first == "DELETE" ? "no-such-customer" : customer.customer_id);
    replace("{sku}", "NO-SUCH-SKU");
    replace("{return_id}", "r-1");
    // Unknown names: the operations must not act on the server's real projections.
    replace("{name}", "no-such-projection");
    replace("{id}", "no-such-projection:0:0");
    for (const auto& caller : callers) {
      // A stale If-Match keeps the order's moves from happening; bodies are empty or {}:
      // whatever the handler answers, only 401/403 say something about access.
      HeaderList headers = {{"If-Match", "999"}};
      headers.emplace_back("Authorization", caller.token.empty() ? "" : "Bearer " + caller.token);
      const std::string body = op.first == "GET" ? "" : "{}";
      auto r = http().request(op.first, path, body, headers);
      const std::string label = op.first + " " + path + " as " + (caller.role.empty() ? "anonymous" : caller.role);
      const bool allowed = who == "public" || (!caller.role.empty() && who.find(caller.role) != std::string::npos);
      if (who == "public") {
        EXPECT_NE(r.status, 401u) << label << ": " << r.body;
        EXPECT_NE(r.status, 403u) << label << ": " << r.body;
      } else if (caller.role.empty()) {
        EXPECT_EQ(r.status, 401u) << label << ": " << r.body;
        EXPECT_EQ(r.code(), "unauthorized") << label;
      } else if (allowed) {
        EXPECT_NE(r.status, 401u) << label << ": " << r.body;
        EXPECT_NE(r.status, 403u) << label << ": " << r.body;
      } else {
        EXPECT_EQ(r.status, 403u) << label << ": " << r.body;
        EXPECT_EQ(r.code(), "forbidden") << label;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(kExpectedAccess.size() * callers.size()));
}

TEST_F(AuthTest, CustomersSeeOnlyTheirOwnOrdersAndAnyOtherIs404) {
  const auto alice = testing::register_and_login(http(), unique("alice"), "Alice");
  const auto bob = testing::register_and_login(http(), unique("bob"), "Bob");
  const auto order = place_order(alice.access_token);
  ASSERT_FALSE(order.empty());
  const auto as_bob = testing::bearer(bob.access_token);
  const auto as_alice = testing::bearer(alice.access_token);

  EXPECT_EQ(http().get("/api/v1/orders/" + order, as_alice).status, 200u);
  for (const std::string& target : std::vector<std::string>{"/api/v1/orders/" + order, "/api/v1/orders/" + order + "/events",
                                   "/api/v1/customers/" + alice.customer_id + "/orders",
                                   "/api/v1/customers/" + alice.customer_id}) {
    auto r = http().get(target, as_bob);
    EXPECT_EQ(r.status, 404u) << target << ": " << r.body;
    EXPECT_EQ(r.code(), "not_found") << target;
  }
  // Bob's moves on Alice's order: 404, and nothing is appended.
  auto cancel = http().post("/api/v1/orders/" + order + "/cancel", "", as_bob);
  EXPECT_EQ(cancel.status, 404u) << cancel.body;
  EXPECT_EQ(http().post("/api/v1/orders/" + order + "/pay", "", as_bob).status, 404u);
  EXPECT_EQ(http().request("DELETE", "/api/v1/customers/" + alice.customer_id, "", as_bob).status, 404u);
  auto events = http().get("/api/v1/orders/" + order + "/events", as_alice);
  ASSERT_EQ(events.status, 200u);
  EXPECT_EQ(events.json().at("items").as_array().size(), 1u);
  // Bob cannot order in Alice's name; the customer id comes from the token.
  auto forged = http().post("/api/v1/orders",
                            R"({"customer_id":")" + alice.customer_id +
                                R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                            as_bob);
  EXPECT_EQ(forged.status, 403u) << forged.body;
  const auto bobs = place_order(bob.access_token);
  auto view = http().get("/api/v1/orders/" + bobs, as_bob);
  EXPECT_EQ(str(view.json(), "customer_id"), bob.customer_id);
  // Bob's own list has his order only; Alice may pay hers.
  auto list = http().get("/api/v1/customers/" + bob.customer_id + "/orders", as_bob);
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(http().post("/api/v1/orders/" + order + "/pay", "", as_alice).status, 200u);
  // Shipping is staff work.
  EXPECT_EQ(http().post("/api/v1/orders/" + order + "/ship", "", as_alice).status, 403u);
  EXPECT_EQ(http().post("/api/v1/orders/" + order + "/ship", "", testing::admin_bearer()).status, 200u);
}

TEST_F(AuthTest, ForgedAndBrokenTokensAre401AndCountedByReason) {
  const auto ada = testing::register_and_login(http(), unique("forger"));
  const double bad_signature = auth_failures(http(), "bad_signature");
  const double alg = auth_failures(http(), "alg_not_allowed");
  const double malformed = auth_failures(http(), "malformed");
  const double issuer = auth_failures(http(), "wrong_issuer");
  const double unknown_kid = auth_failures(http(), "unknown_kid");

  const auto& token = ada.access_token;
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  auto payload = json::parse(*auth::base64url_decode(token.substr(a + 1, b - a - 1))).as_object();
  payload["roles"] = json::array{"admin"};
  const std::string raised = token.substr(0, a) + "." + auth::base64url_encode(json::serialize(payload)) + token.substr(b);
  const std::string none = auth::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                           auth::base64url_encode(json::serialize(payload)) + ".";
  json::object other_issuer = payload;
  other_issuer["iss"] = "https://evil.test";
  const std::string foreign = auth::encode_hs256(json::object{{"alg", "HS256"}}, other_issuer, std::string(40, 'k'));
  testing::TestIdp stranger(kIssuer, "orderline-api");
  auto stranger_key = stranger.add_rsa_key("rsa-unknown");
  const std::string unknown = stranger.token(stranger_key, json::object{{"realm_access", json::object{{"roles", json::array{"shop-staff"}}}}});
  const std::string confused = auth::encode_hs256(json::object{{"alg", "HS256"}, {"kid", "rsa-1"}},
                                                  idp_->claims(json::object{{"realm_access", json::object{{"roles", json::array{"shop-staff"}}}}}),
                                                  idp_->jwks());

  for (const auto& forged : {raised, none, foreign, unknown, confused, std::string("garbage")}) {
    auto r = http().get("/api/v1/auth/me", testing::bearer(forged));
    EXPECT_EQ(r.status, 401u) << forged << ": " << r.body;
    EXPECT_EQ(r.code(), "unauthorized");
    EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos);
  }
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(token)).status, 200u);
  EXPECT_EQ(auth_failures(http(), "bad_signature"), bad_signature + 1);
  EXPECT_EQ(auth_failures(http(), "alg_not_allowed"), alg + 2);
  EXPECT_EQ(auth_failures(http(), "wrong_issuer"), issuer + 1);
  EXPECT_EQ(auth_failures(http(), "unknown_kid"), unknown_kid + 1);
  EXPECT_EQ(auth_failures(http(), "malformed"), malformed + 1);
}

TEST_F(AuthTest, ProviderTokensRs256AndEs256WithMappedRoles) {
  const auto staff = json::object{{"realm_access", json::object{{"roles", json::array{"shop-staff", "offline_access"}}}}};
  for (const auto* key : {rsa_, ec_}) {
    auto me = http().get("/api/v1/auth/me", testing::bearer(idp_->token(*key, staff)));
    ASSERT_EQ(me.status, 200u) << key->alg << ": " << me.body;
    EXPECT_EQ(str(me.json(), "source"), "oidc");
    EXPECT_EQ(me.json().at("roles").as_array().size(), 1u);
    EXPECT_EQ(me.json().at("roles").at(0).as_string(), "staff");
  }
  auto created = http().post("/api/v1/admin/products",
                             R"({"sku":"OIDC-1","name":"From the provider","price":{"amount_minor":100,"currency":"EUR"},"stock":1})",
                             testing::bearer(idp_->token(*rsa_, staff)));
  EXPECT_EQ(created.status, 201u) << created.body;
  // Roles we do not map, another audience, an expired token: 401.
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(idp_->token(*rsa_, {}))).status, 401u);
  auto wrong_audience = staff;
  wrong_audience["aud"] = "another-client";
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(idp_->token(*rsa_, wrong_audience))).status, 401u);
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(idp_->token(*ec_, staff, testing::now_seconds() - 3600))).status,
            401u);
}

TEST_F(AuthTest, RefreshTokensRotateAndReuseRevokesTheLogin) {
  const auto email = unique("refresher");
  const auto first = testing::register_and_login(http(), email);
  auto refresh = [&](const std::string& token) {
    return http().post("/api/v1/auth/refresh", json::serialize(json::object{{"refresh_token", token}}), kNoAuth);
  };
  auto second = refresh(first.refresh_token);
  ASSERT_EQ(second.status, 200u) << second.body;
  const auto r2 = str(second.json(), "refresh_token");
  EXPECT_NE(r2, first.refresh_token);
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(str(second.json(), "access_token"))).status, 200u);

  // The rotated-out token again: refused, and the whole login is revoked with it.
  auto reused = refresh(first.refresh_token);
  EXPECT_EQ(reused.status, 401u);
  EXPECT_EQ(reused.code(), "refresh_token_reused");
  auto after = refresh(r2);
  EXPECT_EQ(after.status, 401u);
  EXPECT_EQ(after.code(), "invalid_refresh_token");

  // Another login is its own family: logout revokes it.
  const auto other = testing::login(http(), email);
  auto logout = http().post("/api/v1/auth/logout", json::serialize(json::object{{"refresh_token", other.refresh_token}}),
                            kNoAuth);
  EXPECT_EQ(logout.status, 204u) << logout.body;
  EXPECT_EQ(refresh(other.refresh_token).code(), "invalid_refresh_token");
  // Forged and malformed refresh tokens.
  auto forged = other.refresh_token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(refresh(forged).code(), "invalid_refresh_token");
  EXPECT_EQ(refresh("olr1.nope").code(), "invalid_refresh_token");
  EXPECT_EQ(http().post("/api/v1/auth/refresh", R"({"refresh_token":5})", kNoAuth).status, 400u);
}

TEST_F(AuthTest, RegistrationExplainsPasswordRulesAndRefusesDuplicates) {
  auto weak = http().post("/api/v1/auth/register", R"({"email":"weak@example.com","password":"aaa","name":"W"})", kNoAuth);
  EXPECT_EQ(weak.status, 400u);
  EXPECT_EQ(weak.code(), "weak_password");
  EXPECT_EQ(weak.header("content-type"), "application/problem+json");
  ASSERT_EQ(weak.json().at("errors").as_array().size(), 2u);
  EXPECT_EQ(str(weak.json().at("errors").at(0), "field"), "password");
  auto bad = http().post("/api/v1/auth/register", R"({"email":"not-an-address","password":5})", kNoAuth);
  EXPECT_EQ(bad.code(), "validation_failed");
  EXPECT_EQ(bad.json().at("errors").as_array().size(), 3u);  // email, password, name
  const auto email = unique("twice");
  auto first = http().post("/api/v1/auth/register",
                           json::serialize(json::object{{"email", email}, {"password", testing::kTestPassword}, {"name", "T"}}),
                           kNoAuth);
  ASSERT_EQ(first.status, 201u) << first.body;
  const auto login = testing::login(http(), email);
  EXPECT_EQ(login.customer_id, str(first.json(), "customer_id"));
  // The answer's position covers the customer and the account: reading after it finds both.
  auto orders = http().get("/api/v1/customers/" + login.customer_id + "/orders?after=" + str(first.json(), "position"),
                           testing::bearer(login.access_token));
  EXPECT_EQ(orders.status, 200u) << orders.body;
  // The same address in other case is the same account.
  std::string upper = email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto again = http().post("/api/v1/auth/register",
                           json::serialize(json::object{{"email", upper}, {"password", testing::kTestPassword}, {"name", "T"}}),
                           kNoAuth);
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_EQ(again.code(), "already_exists");
  auto wrong = http().post("/api/v1/auth/login",
                           json::serialize(json::object{{"email", email}, {"password", "not the password"}}), kNoAuth);
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.code(), "invalid_credentials");
  auto unknown = http().post("/api/v1/auth/login",
                             json::serialize(json::object{{"email", "nobody@example.com"}, {"password", "whatever it is"}}),
                             kNoAuth);
  EXPECT_EQ(unknown.code(), "invalid_credentials");
}

TEST_F(AuthTest, SecurityHeadersAndCors) {
  for (const auto& r : {http().get("/api/v1/products"), http().get("/nowhere"), http().get("/api/v1/auth/me")}) {
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.header("x-frame-options"), "DENY");
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
    EXPECT_EQ(r.header("cache-control"), "no-store");
    EXPECT_FALSE(r.header("content-security-policy").empty());
  }
  auto preflight = http().request("OPTIONS", "/api/v1/orders", "",
                                  {{"Origin", "https://shop.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204u);
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "https://shop.example.com");
  EXPECT_NE(preflight.header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  auto allowed = http().get("/api/v1/products", {{"Origin", "https://shop.example.com"}});
  EXPECT_EQ(allowed.header("access-control-allow-origin"), "https://shop.example.com");
  auto foreign = http().get("/api/v1/products", {{"Origin", "https://evil.example.com"}});
  EXPECT_FALSE(foreign.has_header("access-control-allow-origin"));
  EXPECT_EQ(http().request("OPTIONS", "/nowhere", "", {{"Origin", "https://shop.example.com"}}).status, 404u);
}

TEST_F(AuthTest, DeletingACustomerForgetsThePersonButKeepsTheOrders) {
  const std::string email = unique("erin.erasure");
  auto reg = http().post("/api/v1/auth/register",
                         json::serialize(json::object{{"email", email},
                                                      {"password", testing::kTestPassword},
                                                      {"name", "Erin Zyxwvutsrq"},
                                                      {"address", "1 Qwertzuiop Lane"}}),
                         kNoAuth);
  ASSERT_EQ(reg.status, 201u) << reg.body;
  const auto erin = testing::login(http(), email);
  const auto order = place_order(erin.access_token);
  auto profile = http().get("/api/v1/customers/" + erin.customer_id, testing::admin_bearer());
  ASSERT_EQ(profile.status, 200u) << profile.body;
  EXPECT_EQ(str(profile.json(), "name"), "Erin Zyxwvutsrq");
  EXPECT_EQ(str(profile.json(), "address"), "1 Qwertzuiop Lane");

  // Nothing personal ever reached the disk in the clear: not in the log, not in the read models.
  auto scan = [&] {
    int hits = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_->path() + "/data")) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (const std::string& needle : std::vector<std::string>{"Zyxwvutsrq", "Qwertzuiop", email}) hits += bytes.find(needle) != std::string::npos;
    }
    return hits;
  };
  EXPECT_EQ(scan(), 0);

  auto erase = http().request("DELETE", "/api/v1/customers/" + erin.customer_id, "", testing::bearer(erin.access_token));
  ASSERT_EQ(erase.status, 204u) << erase.body;
  // Erin's access token stops at once: nobody orders in a forgotten person's name.
  auto after = http().get("/api/v1/auth/me", testing::bearer(erin.access_token));
  EXPECT_EQ(after.status, 401u) << after.body;
  EXPECT_EQ(http().post("/api/v1/orders", R"({"currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                        testing::bearer(erin.access_token))
                .status,
            401u);
  auto forgotten = http().get("/api/v1/customers/" + erin.customer_id, testing::admin_bearer());
  ASSERT_EQ(forgotten.status, 200u);
  EXPECT_EQ(str(forgotten.json(), "status"), "forgotten");
  EXPECT_FALSE(forgotten.json().as_object().contains("name"));
  EXPECT_FALSE(forgotten.json().as_object().contains("email"));
  // The order history is whole: the order, its events, the customer's list.
  auto orders = http().get("/api/v1/customers/" + erin.customer_id + "/orders", testing::admin_bearer());
  ASSERT_EQ(orders.status, 200u);
  ASSERT_EQ(orders.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(str(orders.json().at("items").at(0), "order_id"), order);
  EXPECT_EQ(http().get("/api/v1/orders/" + order + "/events", testing::admin_bearer()).status, 200u);
  // The account is closed with it.
  auto relogin = http().post("/api/v1/auth/login",
                             json::serialize(json::object{{"email", email}, {"password", testing::kTestPassword}}), kNoAuth);
  EXPECT_EQ(relogin.code(), "invalid_credentials");
  auto refresh = http().post("/api/v1/auth/refresh", json::serialize(json::object{{"refresh_token", erin.refresh_token}}),
                             kNoAuth);
  EXPECT_EQ(refresh.code(), "invalid_refresh_token");
  // Deleting again: still forgotten (idempotent).
  EXPECT_EQ(http().request("DELETE", "/api/v1/customers/" + erin.customer_id, "", testing::admin_bearer()).status, 204u);
  // Staff may read profiles but not forget people.
  const auto staff = testing::staff_login(http(), unique("eraser"), "staff");
  EXPECT_EQ(http().request("DELETE", "/api/v1/customers/" + erin.customer_id, "", testing::bearer(staff.access_token)).status,
            403u);
}

TEST(AuthLimits, LockoutAfterRepeatedFailuresAndARateLimitPerAddress) {
  testing::TempDir dir;
  testing::OrderdProcess server(dir.path() + "/data",
                                {"--lockout-failures", "3", "--lockout-seconds", "600", "--login-per-address", "7"});
  HttpClient http(server.port());
  const std::string email = "locked@example.com";
  auto reg = http.post("/api/v1/auth/register",
                       json::serialize(json::object{{"email", email}, {"password", testing::kTestPassword}, {"name", "L"}}));
  ASSERT_EQ(reg.status, 201u) << reg.body;
  auto login = [&](const std::string& who, const std::string& password) {
    return http.post("/api/v1/auth/login", json::serialize(json::object{{"email", who}, {"password", password}}));
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login(email, "wrong password " + std::to_string(i)).code(), "invalid_credentials");
  // Locked: even the right password is refused now, with a clear error and when to retry.
  auto locked = login(email, testing::kTestPassword);
  EXPECT_EQ(locked.status, 423u) << locked.body;
  EXPECT_EQ(locked.code(), "account_locked");
  EXPECT_FALSE(locked.header("retry-after").empty());
  // 4 attempts from this address so far; 3 more pass, the next is limited.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("other-" + std::to_string(i) + "@example.com", "nope nope nope").status, 401u);
  auto limited = login("other-9@example.com", "nope nope nope");
  EXPECT_EQ(limited.status, 429u) << limited.body;
  EXPECT_EQ(limited.code(), "rate_limited");
  EXPECT_FALSE(limited.header("retry-after").empty());
  EXPECT_GE(auth_failures(http, "locked"), 1);
  EXPECT_GE(auth_failures(http, "rate_limited"), 1);
  EXPECT_GE(auth_failures(http, "invalid_credentials"), 6);
}

}  // namespace
}  // namespace orderline
