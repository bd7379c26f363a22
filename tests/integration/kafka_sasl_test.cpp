// Kafka with SASL on loopback (a private broker: scripts/kafka start --sasl USER:PASSWORD):
// the client settings of --kafka-option reach every client of every role. `orderd serve` and
// the distributed roles (gateway + processor) work with the right password; with a wrong one
// orderd refuses to start and says why.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/process.h"

#ifndef ORDERLINE_SOURCE_DIR
#define ORDERLINE_SOURCE_DIR "."
#endif

namespace orderline {
namespace {

using testing::HttpClient;

const std::string kScript = std::string(ORDERLINE_SOURCE_DIR) + "/scripts/kafka";

std::vector<std::string> sasl_options(const std::string& password) {
  return {"--kafka-option", "security.protocol=SASL_PLAINTEXT", "--kafka-option", "sasl.mechanisms=PLAIN",
          "--kafka-option", "sasl.username=orderline", "--kafka-option", "sasl.password=" + password};
}

void place_and_read_back(std::uint16_t port) {
  HttpClient http(port);
  http.set_default_headers(testing::admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"sasl@example.com","name":"Sasha"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto placed = http.post("/api/v1/orders",
                          R"({"customer_id":")" + customer_id +
                              R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                          {{"Idempotency-Key", "sasl-1"}});
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto body = placed.json();
  auto view = http.get("/api/v1/orders/" + std::string(body.at("order_id").as_string()) +
                       "?after=" + std::string(body.at("position").as_string()));
  ASSERT_EQ(view.status, 200u) << view.body;
  EXPECT_EQ(view.json().at("status").as_string(), "placed");
}

class KafkaSaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();  // CI runs it where scripts/kafka has its jars
    int status = 0;
    const auto out = testing::run_command(
        {kScript, "start", "--port", "0", "--dir", dir_.path() + "/kafka", "--sasl", "orderline:s3cret"}, &status);
    const std::string prefix = "ORDERLINE_KAFKA=";
    ASSERT_TRUE(status == 0 && out.rfind(prefix, 0) == 0) << "scripts/kafka start --sasl failed: " << out;
    brokers_ = out.substr(prefix.size(), out.find('\n') - prefix.size());
  }
  void TearDown() override { testing::run_command({kScript, "stop", "--dir", dir_.path() + "/kafka"}); }
  testing::TempDir dir_;
  std::string brokers_;
};

TEST_F(KafkaSaslTest, EveryRoleAuthenticatesAndAWrongPasswordIsRefused) {
  auto args = sasl_options("s3cret");
  // Without the saga, which would move the order on before it is read back as placed.
  args.insert(args.end(), {"--event-log", "kafka://" + brokers_ + "?prefix=serve", "--partitions", "2", "--no-saga"});
  {
    testing::OrderdProcess serve(dir_.path() + "/serve", args);
    place_and_read_back(serve.port());
  }

  testing::KafkaDeployment deployment{"distributed", 2, brokers_};
  auto processor = testing::start_processor(deployment, dir_.path(), "a", sasl_options("s3cret"));
  auto gateway_args = sasl_options("s3cret");
  gateway_args.push_back("--demo-catalogue");
  testing::GatewayProcess gateway(deployment, dir_.path(), 0, gateway_args);
  place_and_read_back(gateway.port());

  auto wrong = sasl_options("wrong");
  wrong.insert(wrong.end(), {"--event-log", "kafka://" + brokers_ + "?prefix=serve", "--partitions", "2"});
  try {
    testing::OrderdProcess refused(dir_.path() + "/wrong", wrong);
    FAIL() << "orderd started with a wrong SASL password";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("Authentication failed"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot reach Kafka at " + brokers_), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace orderline
