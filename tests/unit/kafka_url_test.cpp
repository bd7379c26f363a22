// `--event-log kafka://...`: what the roles of a Kafka deployment accept, and the sentence
// they refuse to start with otherwise.
#include <gtest/gtest.h>

#include "eventstore/kafka/kafka_url.h"

namespace orderline::eventstore {
namespace {

KafkaUrl ok(std::string_view url) {
  auto parsed = parse_kafka_url(url);
  EXPECT_TRUE(std::holds_alternative<KafkaUrl>(parsed)) << url << ": " << std::get<std::string>(parsed);
  return std::holds_alternative<KafkaUrl>(parsed) ? std::get<KafkaUrl>(parsed) : KafkaUrl{};
}

std::string refused(std::string_view url) {
  auto parsed = parse_kafka_url(url);
  EXPECT_TRUE(std::holds_alternative<std::string>(parsed)) << url << " was accepted";
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

TEST(KafkaUrl, BrokersPrefixAndReplication) {
  auto plain = ok("kafka://127.0.0.1:9092");
  EXPECT_EQ(plain.brokers, "127.0.0.1:9092");
  EXPECT_EQ(plain.topic_prefix, "orderline");
  EXPECT_EQ(plain.replication_factor, -1);

  auto full = ok("kafka://a.example:9092,b.example:9093/?prefix=shop.eu-1&replication=3");
  EXPECT_EQ(full.brokers, "a.example:9092,b.example:9093");
  EXPECT_EQ(full.topic_prefix, "shop.eu-1");
  EXPECT_EQ(full.replication_factor, 3);
}

TEST(KafkaUrl, RefusesWhatItCannotUse) {
  EXPECT_NE(refused("/var/lib/orderline").find("kafka://"), std::string::npos);
  EXPECT_NE(refused("kafka://").find("without a broker"), std::string::npos);
  EXPECT_NE(refused("kafka://localhost").find("HOST:PORT"), std::string::npos);
  EXPECT_NE(refused("kafka://localhost:0").find("HOST:PORT"), std::string::npos);
  EXPECT_NE(refused("kafka://localhost:99999").find("HOST:PORT"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1,").find("bad broker"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?prefix=a/b").find("topic prefix"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?prefix=").find("topic prefix"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?replication=0").find("replication"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?replication=x").find("replication"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?sasl=1").find("unknown parameter"), std::string::npos);
  EXPECT_NE(refused("kafka://h:1?prefix").find("NAME=VALUE"), std::string::npos);
}

}  // namespace
}  // namespace orderline::eventstore
