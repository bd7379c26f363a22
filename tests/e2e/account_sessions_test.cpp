// Sessions after login, against the real server of every deployment (e2e_server.h: `orderd
// serve`, and with ORDERLINE_E2E_EVENT_LOG=distributed `orderd gateway` + `orderd processor`):
// logout revokes the access token too, a password change revokes the other logins, a reset
// by single-use token revokes them all, and in the distributed deployment a second gateway
// learns logouts and lockouts from the log.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "tests/support/auth.h"
#include "tests/support/e2e_server.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::HttpResponse;

constexpr int kLockoutFailures = 3;
constexpr const char* kNewPassword = "a much longer passphrase now";

std::string body_of(std::initializer_list<std::pair<const char*, std::string>> fields) {
  json::object o;
  for (const auto& [k, v] : fields) o[k] = v;
  return json::serialize(o);
}

std::string code_of(const HttpResponse& r) {
  auto parsed = json::parse(r.body);
  return std::string(parsed.at("code").as_string());
}

// Answers until `status` comes back or 30 s pass: another gateway learns of a write when its
// read models fold it, a moment after the writing gateway answered.
HttpResponse until_status(HttpClient& client, const std::string& target, const std::string& token, unsigned status) {
  HttpResponse r;
  for (int i = 0; i < 600; ++i) {
    r = client.get(target, testing::bearer(token));
    if (r.status == status) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return r;
}

class AccountSessionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // One access-token secret for every gateway (each would make its own in its data directory),
    // as a deployment of several gateways configures it.
    const auto secret = dir_->path() + "/token-secret";
    std::ofstream(secret) << std::string(64, 'a') << "\n";
    server_ = new testing::E2eServer(dir_->path(), "sessions",
                                     {"--no-saga", "--lockout-failures", std::to_string(kLockoutFailures),
                                      "--token-secret-file", secret});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { client_ = std::make_unique<HttpClient>(server_->port()); }

  HttpClient& http() { return *client_; }
  static std::string unique(const std::string& name) { return testing::unique_email(name); }
  // The reset tokens the built-in sender wrote for `email`, oldest first.
  static std::vector<std::string> reset_tokens_of(const std::string& email) {
    std::vector<std::string> out;
    std::ifstream in(server_->http_data_dir() + "/auth/reset-tokens.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto entry = json::parse(line).as_object();
      if (entry.at("email").as_string() == email) out.emplace_back(entry.at("token").as_string());
    }
    return out;
  }

  static testing::TempDir* dir_;
  static testing::E2eServer* server_;
  std::unique_ptr<HttpClient> client_;
};
testing::TempDir* AccountSessionsTest::dir_ = nullptr;
testing::E2eServer* AccountSessionsTest::server_ = nullptr;

TEST_F(AccountSessionsTest, LogoutRevokesTheAccessTokenOfThatLoginOnly) {
  const auto email = unique("logout");
  auto first = testing::register_and_login(http(), email);
  auto second = testing::login(http(), email);
  // Verified (and cached) before the logout: the cache must not keep it alive.
  ASSERT_EQ(http().get("/api/v1/auth/me", testing::bearer(first.access_token)).status, 200u);

  ASSERT_EQ(http().post("/api/v1/auth/logout", body_of({{"refresh_token", first.refresh_token}})).status, 204u);

  auto refused = http().get("/api/v1/auth/me", testing::bearer(first.access_token));
  EXPECT_EQ(refused.status, 401u) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");
  EXPECT_EQ(code_of(refused), "unauthorized");
  EXPECT_EQ(http().get("/api/v1/customers/" + first.customer_id, testing::bearer(first.access_token)).status, 401u);
  // The other login of the same account goes on.
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(second.access_token)).status, 200u);
}

TEST_F(AccountSessionsTest, PasswordChangeChecksTheCurrentAndTheRulesAndRevokesTheOtherLogins) {
  const auto email = unique("change");
  auto mine = testing::register_and_login(http(), email);
  auto other = testing::login(http(), email);
  const auto as_me = testing::bearer(mine.access_token);

  auto wrong = http().post("/api/v1/auth/password",
                           body_of({{"current_password", "not the password at all"}, {"new_password", kNewPassword}}),
                           as_me);
  EXPECT_EQ(wrong.status, 403u) << wrong.body;
  EXPECT_EQ(code_of(wrong), "invalid_credentials");

  auto weak = http().post("/api/v1/auth/password",
                          body_of({{"current_password", testing::kTestPassword}, {"new_password", "short"}}), as_me);
  EXPECT_EQ(weak.status, 400u) << weak.body;
  EXPECT_EQ(code_of(weak), "weak_password");
  EXPECT_EQ(std::string(json::parse(weak.body).at("errors").as_array().at(0).at("field").as_string()), "new_password");

  auto missing = http().post("/api/v1/auth/password", body_of({{"new_password", kNewPassword}}), as_me);
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(code_of(missing), "validation_failed");
  EXPECT_EQ(http().post("/api/v1/auth/password", body_of({{"current_password", testing::kTestPassword},
                                                          {"new_password", kNewPassword}}),
                        {{"Authorization", ""}})
                .status,
            401u);
  // Refused attempts changed nothing: both logins still work.
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(other.access_token)).status, 200u);

  auto changed = http().post(
      "/api/v1/auth/password",
      body_of({{"current_password", testing::kTestPassword}, {"new_password", kNewPassword}}), as_me);
  ASSERT_EQ(changed.status, 204u) << changed.body;

  EXPECT_EQ(http().get("/api/v1/auth/me", as_me).status, 200u);  // the login that changed it stays
  EXPECT_EQ(http().post("/api/v1/auth/refresh", body_of({{"refresh_token", mine.refresh_token}})).status, 200u);
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(other.access_token)).status, 401u);
  auto other_refresh = http().post("/api/v1/auth/refresh", body_of({{"refresh_token", other.refresh_token}}));
  EXPECT_EQ(other_refresh.status, 401u) << other_refresh.body;

  auto old = http().post("/api/v1/auth/login", body_of({{"email", email}, {"password", testing::kTestPassword}}));
  EXPECT_EQ(old.status, 401u);
  EXPECT_EQ(code_of(old), "invalid_credentials");
  testing::login(http(), email, kNewPassword);
}

TEST_F(AccountSessionsTest, PasswordChangeIsForLocalAccountsOnly) {
  auto r = http().post("/api/v1/auth/password",
                       body_of({{"current_password", "x"}, {"new_password", kNewPassword}}), testing::admin_bearer());
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(code_of(r), "forbidden");
}

TEST_F(AccountSessionsTest, ResetAnswersAlikeForUnknownAddressesAndTokensAreSingleUse) {
  const auto email = unique("reset");
  auto before = testing::register_and_login(http(), email);

  auto known = http().post("/api/v1/auth/password-reset", body_of({{"email", email}}));
  auto unknown = http().post("/api/v1/auth/password-reset", body_of({{"email", unique("nobody")}}));
  EXPECT_EQ(known.status, 202u) << known.body;
  EXPECT_EQ(unknown.status, known.status);
  EXPECT_EQ(unknown.body, known.body);
  EXPECT_EQ(http().post("/api/v1/auth/password-reset", body_of({{"email", "not an address"}})).status, 400u);

  // The sender hands tokens on after answering: give it a moment.
  std::vector<std::string> tokens;
  for (int i = 0; i < 200 && tokens.empty(); ++i) {
    tokens = reset_tokens_of(email);
    if (tokens.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(tokens.size(), 1u);
  const auto token = tokens.front();

  auto confirm = [&](const std::string& t, const std::string& password) {
    return http().post("/api/v1/auth/password-reset/confirm", body_of({{"token", t}, {"new_password", password}}));
  };
  auto tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  auto refused = confirm(tampered, kNewPassword);
  EXPECT_EQ(refused.status, 400u) << refused.body;
  EXPECT_EQ(code_of(refused), "invalid_reset_token");
  EXPECT_EQ(code_of(confirm("garbage", kNewPassword)), "invalid_reset_token");
  EXPECT_EQ(code_of(confirm(token, "short")), "weak_password");
  // Nothing above used the token up.
  auto done = confirm(token, kNewPassword);
  ASSERT_EQ(done.status, 204u) << done.body;

  auto reused = confirm(token, "yet another long passphrase");
  EXPECT_EQ(reused.status, 400u);
  EXPECT_EQ(code_of(reused), "invalid_reset_token");
  // Every login of before the reset is revoked, access and refresh tokens alike.
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(before.access_token)).status, 401u);
  EXPECT_EQ(http().post("/api/v1/auth/refresh", body_of({{"refresh_token", before.refresh_token}})).status, 401u);
  EXPECT_EQ(http().post("/api/v1/auth/login", body_of({{"email", email}, {"password", testing::kTestPassword}})).status,
            401u);
  auto after = testing::login(http(), email, kNewPassword);
  EXPECT_EQ(http().get("/api/v1/auth/me", testing::bearer(after.access_token)).status, 200u);
}

TEST_F(AccountSessionsTest, StaffMayStartAResetAndLearnWhetherTheAccountExists) {
  const auto email = unique("staff-reset");
  testing::register_and_login(http(), email);
  auto staff = testing::staff_login(http(), unique("clerk"), "staff");
  EXPECT_EQ(http().post("/api/v1/admin/accounts/password-reset", body_of({{"email", email}}),
                        testing::bearer(staff.access_token))
                .status,
            202u);
  EXPECT_EQ(http().post("/api/v1/admin/accounts/password-reset", body_of({{"email", unique("nobody")}}),
                        testing::bearer(staff.access_token))
                .status,
            404u);
  auto customer = testing::login(http(), email);
  EXPECT_EQ(http().post("/api/v1/admin/accounts/password-reset", body_of({{"email", email}}),
                        testing::bearer(customer.access_token))
                .status,
            403u);
}

TEST_F(AccountSessionsTest, LockoutIsRecordedInTheAccount) {
  const auto email = unique("lockout");
  testing::register_and_login(http(), email);
  for (int i = 0; i < kLockoutFailures; ++i) {
    EXPECT_EQ(http().post("/api/v1/auth/login", body_of({{"email", email}, {"password", "wrong password here"}})).status,
              401u);
  }
  auto locked = http().post("/api/v1/auth/login", body_of({{"email", email}, {"password", testing::kTestPassword}}));
  EXPECT_EQ(locked.status, 423u) << locked.body;
  EXPECT_EQ(code_of(locked), "account_locked");
  EXPECT_FALSE(locked.header("retry-after").empty());
}

// Two gateways over one log: what one records, the other learns from its read models (a
// logout) or from the account's stream (a lockout), never from its own memory.
TEST_F(AccountSessionsTest, ASecondGatewayRefusesWhatTheFirstRevokedOrLocked) {
  if (!server_->distributed()) GTEST_SKIP() << "one gateway in this deployment (run as account_sessions_test_distributed)";
  HttpClient second(server_->add_gateway());

  const auto email = unique("two-gateways");
  auto login = testing::register_and_login(http(), email);
  ASSERT_EQ(until_status(second, "/api/v1/auth/me", login.access_token, 200).status, 200u);
  ASSERT_EQ(http().post("/api/v1/auth/logout", body_of({{"refresh_token", login.refresh_token}})).status, 204u);
  auto refused = until_status(second, "/api/v1/auth/me", login.access_token, 401);
  EXPECT_EQ(refused.status, 401u) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");

  // Failures spread over both gateways add up to one lockout.
  const auto target = unique("spread");
  testing::register_and_login(http(), target);
  for (int i = 0; i < kLockoutFailures; ++i) {
    auto& gateway = i % 2 == 0 ? http() : second;
    EXPECT_EQ(gateway.post("/api/v1/auth/login", body_of({{"email", target}, {"password", "wrong password here"}})).status,
              401u);
  }
  for (auto* gateway : {&http(), &second}) {
    auto r = gateway->post("/api/v1/auth/login", body_of({{"email", target}, {"password", testing::kTestPassword}}));
    EXPECT_EQ(r.status, 423u) << r.body;
  }
}

}  // namespace
}  // namespace orderline
