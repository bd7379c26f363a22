// Kafka with SASL on loopback (a private broker: scripts/kafka start --sasl USER:PASSWORD):
// the client settings of --kafka-option reach every client of every role. `orderd serve` and
// the distributed roles (gateway + processor) work with the right password; with a wrong one
// orderd refuses to start and says why.
#include <gtest/gtest.h>

#include <memory>

#include "tests/support/kafka.h"
#include "tests/support/order_round_trip.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/private_kafka.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

std::vector<std::string> sasl_options(const std::string& password) {
  return {"--kafka-option", "security.protocol=SASL_PLAINTEXT", "--kafka-option", "sasl.mechanisms=PLAIN",
          "--kafka-option", "sasl.username=orderline", "--kafka-option", "sasl.password=" + password};
}

class KafkaSaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();  // CI runs it where scripts/kafka has its jars
    kafka_ = std::make_unique<testing::PrivateKafka>(std::vector<std::string>{"--sasl", "orderline:s3cret"});
    brokers_ = kafka_->brokers();
  }
  testing::TempDir dir_;
  std::unique_ptr<testing::PrivateKafka> kafka_;
  std::string brokers_;
};

TEST_F(KafkaSaslTest, EveryRoleAuthenticatesAndAWrongPasswordIsRefused) {
  auto args = sasl_options("s3cret");
  // Without the saga, which would move the order on before it is read back as placed.
  args.insert(args.end(), {"--event-log", "kafka://" + brokers_ + "?prefix=serve", "--partitions", "2", "--no-saga"});
  {
    testing::OrderdProcess serve(dir_.path() + "/serve", args);
    testing::place_and_read_back(serve.port(), "sasl@example.com", "sasl-1");
  }

  testing::KafkaDeployment deployment{"distributed", 2, brokers_};
  auto processor = testing::start_processor(deployment, dir_.path(), "a", sasl_options("s3cret"));
  auto gateway_args = sasl_options("s3cret");
  gateway_args.push_back("--demo-catalogue");
  testing::GatewayProcess gateway(deployment, dir_.path(), 0, gateway_args);
  testing::place_and_read_back(gateway.port(), "sasl@example.com", "sasl-1");

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
