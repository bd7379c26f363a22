// The operator port of `orderd processor` and `orderd projector` (cli/operator_http.h): besides
// health and metrics, PUT /api/v1/admin/log-level under serve's rule (ops or admin: the
// --admin-token, or a token signed with the gateways' secret), and no other API route.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <ctime>
#include <fstream>

#include "cli/operator_http.h"
#include "gateway/auth/access_tokens.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline::cli {
namespace {

constexpr const char* kAdminToken = "operator-port-admin-token";
const std::string kSecret(48, 's');

testing::HeaderList bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// A token the gateways would issue (same secret), for a principal with `roles`.
std::string gateway_token(auth::RoleSet roles, const std::string& secret = kSecret) {
  auth::AccessTokenConfig config;
  config.secret = secret;
  auth::Principal principal;
  principal.subject = "acct-1";
  principal.roles = roles;
  principal.source = "local";
  return auth::issue_access_token(config, principal, static_cast<std::int64_t>(std::time(nullptr)));
}

class OperatorPort : public ::testing::Test {
 protected:
  void SetUp() override {
    level_before_ = spdlog::default_logger()->level();
    spdlog::set_level(spdlog::level::info);
    std::ofstream(dir_.path() + "/token-secret") << kSecret << "\n";
  }
  void TearDown() override {
    if (http_) http_->stop();
    spdlog::set_level(level_before_);
  }

  testing::HttpClient& start(OperatorHttpConfig config) {
    config.listen = "127.0.0.1:0";
    http_ = std::make_unique<OperatorHttp>(config, [] { return gateway::Readiness{}; }, [] { return "m 1\n"; });
    client_ = std::make_unique<testing::HttpClient>(http_->start());
    return *client_;
  }

  testing::HttpResponse put_level(const std::string& body, const testing::HeaderList& headers) {
    return client_->request("PUT", "/api/v1/admin/log-level", body, headers);
  }

  testing::TempDir dir_;
  spdlog::level::level_enum level_before_ = spdlog::level::info;
  std::unique_ptr<OperatorHttp> http_;
  std::unique_ptr<testing::HttpClient> client_;
};

TEST_F(OperatorPort, AdminTokenChangesTheLogLevel) {
  OperatorHttpConfig config;
  config.admin_token = kAdminToken;
  auto& ops = start(config);
  auto r = put_level(R"({"level":"debug"})", bearer(kAdminToken));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), boost::json::parse(R"({"level":"debug","previous":"info"})"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);

  // Hostile input changes nothing and is answered as problem+json.
  r = put_level(R"({"level":"loud"})", bearer(kAdminToken));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.code(), "validation_failed");
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  r = put_level("{not json", bearer(kAdminToken));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);

  // The rest is as before: health and metrics, and no other API route.
  EXPECT_EQ(ops.get("/healthz").status, 200u);
  EXPECT_EQ(ops.get("/metrics").body, "m 1\n");
  EXPECT_EQ(ops.get("/api/v1/products", bearer(kAdminToken)).status, 404u);
  EXPECT_EQ(ops.get("/api/v1/admin/projections", bearer(kAdminToken)).status, 404u);
  EXPECT_EQ(ops.request("GET", "/api/v1/admin/log-level", {}, bearer(kAdminToken)).status, 405u);
}

TEST_F(OperatorPort, WithoutTheRightTokenNothingChanges) {
  OperatorHttpConfig config;
  config.admin_token = kAdminToken;
  start(config);
  auto r = put_level(R"({"level":"debug"})", {});
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(r.code(), "unauthorized");
  r = put_level(R"({"level":"debug"})", bearer("not-the-token"));
  EXPECT_EQ(r.status, 401u) << r.body;
  // No --token-secret-file: even a well-formed ops token of a gateway is not trusted.
  r = put_level(R"({"level":"debug"})", bearer(gateway_token(auth::roles_of(auth::Role::ops))));
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

TEST_F(OperatorPort, GatewayTokensOfOpsWorkWithTheirSecret) {
  OperatorHttpConfig config;
  config.token_secret_file = dir_.path() + "/token-secret";
  start(config);
  // Staff without ops: forbidden, as on serve.
  auto r = put_level(R"({"level":"warn"})", bearer(gateway_token(auth::roles_of(auth::Role::staff))));
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(r.code(), "forbidden");
  // Signed with another secret: not ours.
  r = put_level(R"({"level":"warn"})", bearer(gateway_token(auth::roles_of(auth::Role::ops), std::string(48, 'x'))));
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);

  r = put_level(R"({"level":"warn"})", bearer(gateway_token(auth::roles_of(auth::Role::ops))));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), boost::json::parse(R"({"level":"warn","previous":"info"})"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  // No admin token configured: an empty bearer is not one.
  EXPECT_EQ(put_level(R"({"level":"info"})", bearer("")).status, 401u);
}

TEST(OperatorHttpConfig, AMissingSecretFileIsAStartUpError) {
  OperatorHttpConfig config;
  config.token_secret_file = "/nonexistent/orderline/token-secret";
  EXPECT_THROW(OperatorHttp(config, [] { return gateway::Readiness{}; }, nullptr), std::runtime_error);
}

}  // namespace
}  // namespace orderline::cli
