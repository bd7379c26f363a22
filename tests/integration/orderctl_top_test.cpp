// `orderctl top --once` against a real orderd: one frame of its /metrics, or a clear error
// and a failing exit status when the server cannot be reached.
#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

TEST(OrderctlTop, OnceShowsThroughputLatencyQueuesAndEveryProjection) {
  testing::TempDir dir;
  testing::OrderdProcess orderd(dir.path() + "/data");
  testing::HttpClient http(orderd.port());
  http.set_default_headers(testing::admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"t@example.com","name":"T"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;

  const std::string url = "http://127.0.0.1:" + std::to_string(orderd.port());
  int status = -1;
  const auto frame = testing::run_command({ORDERCTL_PATH, "top", "--url", url, "--once", "--interval", "0.2"}, &status);
  ASSERT_EQ(status, 0) << frame;
  EXPECT_NE(frame.find("orderline top  " + url), std::string::npos) << frame;
  for (const char* part : {"orders/s", "requests/s", "checkout p50", "p99", "commands waiting", "RSS",
                           "order_details", "customer_orders", "catalogue", "customers"}) {
    EXPECT_NE(frame.find(part), std::string::npos) << part << " missing from\n" << frame;
  }
  // No screen control in --once output: it is meant for pipes and logs.
  EXPECT_EQ(frame.find('\x1b'), std::string::npos);
}

TEST(OrderctlTop, OnceFailsWhenTheServerIsUnreachable) {
  const auto port = testing::free_loopback_port();  // nothing listens there
  int status = -1;
  const auto out = testing::run_command(
      {"/bin/sh", "-c",
       std::string(ORDERCTL_PATH) + " top --once --url http://127.0.0.1:" + std::to_string(port) + " 2>&1"},
      &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("Connection refused"), std::string::npos) << out;
}

}  // namespace
}  // namespace orderline
