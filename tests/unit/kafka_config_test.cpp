// --event-log and --kafka-option turned into the Kafka clients' options: TLS/SASL settings pass
// through; the settings exactly-once depends on cannot be overridden.
#include <gtest/gtest.h>

#include "cli/kafka_config.h"

namespace orderline::cli {
namespace {

TEST(KafkaConfig, ClientSettingsPassThrough) {
  auto options = kafka_log_options("kafka://b1:9093?prefix=shop&replication=3",
                                   {"security.protocol=SASL_SSL", "sasl.mechanisms=SCRAM-SHA-512",
                                    "sasl.password=a=b"});
  EXPECT_EQ(options.brokers, "b1:9093");
  EXPECT_EQ(options.topic_prefix, "shop");
  EXPECT_EQ(options.replication_factor, 3);
  EXPECT_EQ(options.client_config.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(options.client_config.at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(options.client_config.at("sasl.password"), "a=b");  // only the first '=' splits
}

TEST(KafkaConfig, RefusesWhatWouldBreakExactlyOnce) {
  for (const char* option : {"isolation.level=read_uncommitted", "enable.idempotence=false", "acks=1",
                             "transactional.id=x", "enable.auto.commit=true", "bootstrap.servers=evil:1"}) {
    try {
      kafka_log_options("kafka://b1:9093", {option});
      ADD_FAILURE() << option << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot be set"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(kafka_log_options("kafka://b1:9093", {"no-equals-sign"}), std::runtime_error);
  EXPECT_THROW(kafka_log_options("kafka://b1:9093", {"=value"}), std::runtime_error);
  EXPECT_THROW(kafka_log_options("not-kafka"), std::runtime_error);
}

}  // namespace
}  // namespace orderline::cli
