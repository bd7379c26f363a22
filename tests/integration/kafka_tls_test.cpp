// Kafka over TLS on loopback (a private broker: scripts/kafka start --tls-client-auth, whose
// client listener speaks TLS with a throw-away CA and requires client certificates). The TLS
// settings of --kafka-option / KafkaLogOptions::client_config reach every client: the event log
// appends and reads, `orderd serve` places and reads an order, `orderctl events export` reads it.
// A client that does not trust the broker's CA, or shows no certificate, is refused within its
// connect timeout with the TLS cause in the message, never left waiting.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "eventstore/kafka/kafka_event_log.h"
#include "tests/support/kafka.h"
#include "tests/support/order_round_trip.h"
#include "tests/support/private_kafka.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

using eventstore::KafkaEventLog;
using eventstore::KafkaLogOptions;

class KafkaTlsTest : public ::testing::Test {
 protected:
  // One broker for the suite: a start costs 5-15 s of the CI's time.
  static void SetUpTestSuite() {
    if (testing::kafka_brokers().empty()) return;  // SetUp says why
    try {
      kafka_ = new testing::PrivateKafka({"--tls-client-auth"});
    } catch (const std::exception& e) {
      start_failure_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete kafka_;
    kafka_ = nullptr;
  }
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();  // CI runs it where scripts/kafka has its jars
    ASSERT_NE(kafka_, nullptr) << "the TLS broker did not start: " << start_failure_;
  }

  // librdkafka's TLS settings with the broker's CA and client certificate, NAME -> VALUE.
  static std::map<std::string, std::string> tls_settings() {
    return {{"security.protocol", "ssl"},
            {"ssl.ca.location", kafka_->value("ORDERLINE_KAFKA_CA")},
            {"ssl.certificate.location", kafka_->value("ORDERLINE_KAFKA_CLIENT_CERT")},
            {"ssl.key.location", kafka_->value("ORDERLINE_KAFKA_CLIENT_KEY")}};
  }
  // The same as the command line's `--kafka-option NAME=VALUE` flags.
  static std::vector<std::string> tls_flags() {
    std::vector<std::string> flags;
    for (const auto& [name, value] : tls_settings()) flags.insert(flags.end(), {"--kafka-option", name + "=" + value});
    return flags;
  }

  KafkaLogOptions log_options(std::map<std::string, std::string> client_config) {
    KafkaLogOptions options;
    options.brokers = kafka_->brokers();
    options.topic_prefix = testing::unique_topic_prefix("tls");
    options.partitions = 2;
    options.state_dir = dir_.path() + "/index";
    options.client_config = std::move(client_config);
    options.connect_timeout = std::chrono::seconds(5);
    return options;
  }

  // Opening a log with `client_config` must fail, naming the broker and `cause`, and give up
  // within its connect timeout (the margin covers a loaded machine: liveness, not speed).
  void expect_refused(std::map<std::string, std::string> client_config, const std::string& cause) {
    auto options = log_options(std::move(client_config));
    options.connect_timeout = std::chrono::seconds(2);  // the metadata request waits all of it
    const auto started = std::chrono::steady_clock::now();
    try {
      KafkaEventLog log(options);
      ADD_FAILURE() << "opened a log that the TLS handshake should have refused (" << cause << ")";
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("cannot reach Kafka at " + kafka_->brokers()), std::string::npos) << message;
      EXPECT_NE(message.find(cause), std::string::npos) << message;
      std::cerr << "refused as expected: " << message << "\n";
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  }

  static testing::PrivateKafka* kafka_;
  static std::string start_failure_;
  testing::TempDir dir_;
};

testing::PrivateKafka* KafkaTlsTest::kafka_ = nullptr;
std::string KafkaTlsTest::start_failure_;

eventstore::NewRecord event(const std::string& stream_id, std::uint64_t version) {
  v1::EventEnvelope envelope;
  envelope.set_event_id(stream_id + "-" + std::to_string(version));
  envelope.set_stream_id(stream_id);
  envelope.set_stream_version(version);
  envelope.set_type("TestEvent");
  return {stream_id, envelope.SerializeAsString(), version};
}

TEST_F(KafkaTlsTest, TheEventLogAppendsAndReadsOverMutualTls) {
  KafkaEventLog log(log_options(tls_settings()));
  eventstore::AppendBatch batch;
  for (std::uint64_t version = 1; version <= 3; ++version) batch.records.push_back(event("order-tls", version));
  auto appended = log.append(1, batch);
  ASSERT_TRUE(appended) << appended.detail;
  ASSERT_EQ(appended.value->end_offset, 3u);

  // read() consumes from the broker: the commit marker lands just after commit returns, so
  // wait (bounded) for the partition's end to pass the appended records first.
  ASSERT_GT(log.wait_beyond(1, 2, std::chrono::seconds(10)), 2u);
  auto records = log.read(1, 0, 10);
  ASSERT_TRUE(records) << records.detail;
  ASSERT_EQ(records.value->size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto& record = (*records.value)[i];
    EXPECT_EQ(record.offset, i);
    EXPECT_EQ(record.key, "order-tls");
    v1::EventEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(record.value));
    EXPECT_EQ(envelope.stream_version(), i + 1);
  }
}

TEST_F(KafkaTlsTest, AClientThatDoesNotTrustTheBrokersCaIsRefusedWithTheCause) {
  // Another throw-away CA: a well-formed one that did not sign the broker's certificate.
  int status = 0;
  const auto other_ca = dir_.path() + "/other-ca.pem";
  const auto out = testing::run_command({"/usr/bin/env", "openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                                         "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir_.path() + "/other-ca.key",
                                         "-out", other_ca, "-days", "1", "-subj", "/CN=not the broker's CA"},
                                        &status);
  ASSERT_EQ(status, 0) << out;
  auto settings = tls_settings();
  settings["ssl.ca.location"] = other_ca;
  expect_refused(settings, "certificate verify failed");
}

TEST_F(KafkaTlsTest, AClientWithoutACertificateIsRefusedByTheBroker) {
  auto settings = tls_settings();
  settings.erase("ssl.certificate.location");
  settings.erase("ssl.key.location");
  expect_refused(settings, "bad certificate");  // the broker's TLS alert
}

TEST_F(KafkaTlsTest, OrderdServesAndOrderctlExportsOverTls) {
  const std::string url = "kafka://" + kafka_->brokers() + "?prefix=" + testing::unique_topic_prefix("serve");
  auto args = tls_flags();
  // Without the saga, which would move the order on before it is read back as placed.
  args.insert(args.end(), {"--event-log", url, "--partitions", "2", "--no-saga"});
  {
    testing::OrderdProcess serve(dir_.path() + "/serve", args);
    testing::place_and_read_back(serve.port(), "tls@example.com", "tls-1");
  }

  std::vector<std::string> export_argv = {ORDERCTL_PATH, "events", "export", "--event-log", url, "--type",
                                          "OrderPlaced"};
  for (const auto& flag : tls_flags()) export_argv.push_back(flag);
  int status = 0;
  const auto exported = testing::run_command(export_argv, &status);
  ASSERT_EQ(status, 0) << exported;
  EXPECT_NE(exported.find("\"OrderPlaced\""), std::string::npos) << exported;
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 1) << exported;
}

}  // namespace
}  // namespace orderline
