// orderctl authenticates with a token from --token, ORDERLINE_TOKEN or a file, and its event
// dump never shows the restricted account streams (credentials, refresh tokens).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/auth.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

TEST(OrderctlAuth, TokenFromTheFlagTheEnvironmentOrAFile) {
  testing::TempDir dir;
  testing::OrderdProcess orderd(dir.path() + "/data");
  testing::HttpClient http(orderd.port());
  const auto ada = testing::register_and_login(http, "ada@example.com");
  const std::string url = "http://127.0.0.1:" + std::to_string(orderd.port());
  const std::string orderctl = ORDERCTL_PATH;

  int status = -1;
  auto out = testing::run_command({orderctl, "whoami", "--url", url, "--token", testing::OrderdProcess::kAdminToken}, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(R"("source":"service")"), std::string::npos) << out;

  out = testing::run_command({"/bin/sh", "-c", "ORDERLINE_TOKEN='" + ada.access_token + "' " + orderctl + " whoami --url " + url},
                             &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(R"("customer_id":")" + ada.customer_id), std::string::npos) << out;

  const std::string file = dir.path() + "/token";
  std::ofstream(file) << ada.access_token << "\n";
  out = testing::run_command({orderctl, "whoami", "--url", url, "--token-file", file}, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(R"("roles":["customer"])"), std::string::npos) << out;

  out = testing::run_command({"/bin/sh", "-c", "env -u ORDERLINE_TOKEN -u ORDERLINE_TOKEN_FILE " + orderctl + " whoami --url " + url},
                             &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("unauthorized"), std::string::npos) << out;
}

TEST(OrderctlAuth, TheEventDumpLeavesRestrictedStreamsOut) {
  testing::TempDir dir;
  testing::OrderdProcess orderd(dir.path() + "/data");
  testing::HttpClient http(orderd.port());
  const auto ada = testing::register_and_login(http, "ada@example.com");
  ASSERT_FALSE(ada.customer_id.empty());
  int status = -1;
  const auto dump = testing::run_command({ORDERCTL_PATH, "events", "dump", "--data-dir", dir.path() + "/data"}, &status);
  ASSERT_EQ(status, 0);
  EXPECT_NE(dump.find("CustomerRegistered"), std::string::npos) << dump;
  EXPECT_NE(dump.find(ada.customer_id), std::string::npos);
  EXPECT_EQ(dump.find("account-"), std::string::npos) << dump;
  EXPECT_EQ(dump.find("AccountRegistered"), std::string::npos);
  EXPECT_EQ(dump.find("argon2id"), std::string::npos);
  EXPECT_EQ(dump.find("RefreshToken"), std::string::npos);
  EXPECT_EQ(dump.find("ada@example.com"), std::string::npos);  // sealed
}

}  // namespace
}  // namespace orderline
