// The settings --kafka-option passes through, as librdkafka takes them: this librdkafka (Debian's
// 2.0.2) is built with TLS, a TLS setting it does not know or a CA file it cannot load fails at
// once naming the component and the setting, and the last client error ends messages.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>

#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/last_client_error.h"

namespace orderline::eventstore {
namespace {

std::string builtin_features() {
  ClientConf conf("test");
  char value[512];
  std::size_t size = sizeof value;
  EXPECT_EQ(rd_kafka_conf_get(conf.get(), "builtin.features", value, &size), RD_KAFKA_CONF_OK);
  return value;
}

TEST(KafkaClientConf, ThisLibrdkafkaSpeaksTls) {
  const auto features = "," + builtin_features() + ",";
  EXPECT_NE(features.find(",ssl,"), std::string::npos) << features;
  ClientConf conf("kafka test");
  EXPECT_NO_THROW(conf.set("security.protocol", "ssl"));
  EXPECT_NO_THROW(conf.set("ssl.certificate.location", "/any/client.pem"));  // read at create()
}

TEST(KafkaClientConf, AnUnknownSettingNamesTheComponentAndTheSetting) {
  ClientConf conf("kafka test");
  try {
    conf.set("ssl.no.such.setting", "x");
    FAIL() << "librdkafka took an unknown setting";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("kafka test: bad client setting ssl.no.such.setting"), std::string::npos)
        << e.what();
  }
}

TEST(KafkaClientConf, AMissingCaFileFailsTheClientAtCreation) {
  ClientConf conf("kafka test");
  conf.set("bootstrap.servers", "127.0.0.1:9");
  conf.set("security.protocol", "ssl");
  conf.set("ssl.ca.location", "/nonexistent/ca.pem");
  try {
    rd_kafka_destroy(conf.create(RD_KAFKA_PRODUCER));
    FAIL() << "a client was created with a CA file that does not exist";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("kafka test: cannot create a client"), std::string::npos) << message;
    EXPECT_NE(message.find("ssl.ca.location"), std::string::npos) << message;
  }
}

TEST(LastClientError, EndsAMessageOnlyWhenSomethingWasReported) {
  LastClientError errors;
  EXPECT_EQ(errors.suffix(), "");
  errors.set("first");
  errors.set("SSL handshake failed");
  EXPECT_EQ(errors.get(), "SSL handshake failed");
  EXPECT_EQ(errors.suffix(), " (last client error: SSL handshake failed)");
}

TEST(LastClientError, ASummaryNeverReplacesACause) {
  LastClientError errors;
  errors.set_summary("1/1 brokers are down");
  EXPECT_EQ(errors.get(), "1/1 brokers are down");  // better than nothing
  errors.set("certificate verify failed");
  errors.set_summary("1/1 brokers are down");
  EXPECT_EQ(errors.get(), "certificate verify failed");
  errors.set("bad certificate");
  EXPECT_EQ(errors.get(), "bad certificate");
}

}  // namespace
}  // namespace orderline::eventstore
