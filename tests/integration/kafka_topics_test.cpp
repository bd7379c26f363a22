// The topics of the distributed deployment (real broker): created through the admin API with
// the configured partition count; a commands topic that is not co-partitioned with the log,
// or a reply partition that does not exist, refuses to start with a sentence naming both.
#include <gtest/gtest.h>

#include "commands/kafka/kafka_command_bus.h"
#include "eventstore/kafka/topic_admin.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

namespace orderline::eventstore {
namespace {

KafkaLogOptions options_for(const std::string& prefix, std::uint32_t partitions) {
  KafkaLogOptions options;
  options.brokers = testing::kafka_brokers();
  options.topic_prefix = prefix;
  options.partitions = partitions;
  return options;
}

std::string failure_of(const std::function<void()>& start) {
  try {
    start();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(KafkaTopics, TheCommandsTopicMustHaveTheLogsPartitionCount) {
  ORDERLINE_REQUIRE_KAFKA();
  const auto prefix = testing::unique_topic_prefix("commands-count");
  EXPECT_EQ(ensure_commands_topic(options_for(prefix, 3)), prefix + ".commands");  // created
  EXPECT_EQ(ensure_commands_topic(options_for(prefix, 3)), prefix + ".commands");  // found
  const auto refused = failure_of([&] { ensure_commands_topic(options_for(prefix, 2)); });
  EXPECT_NE(refused.find("has 3 partitions"), std::string::npos) << refused;
  EXPECT_NE(refused.find("co-partitioned"), std::string::npos) << refused;
}

TEST(KafkaTopics, AGatewayRefusesAReplyPartitionThatDoesNotExist) {
  ORDERLINE_REQUIRE_KAFKA();
  const auto prefix = testing::unique_topic_prefix("reply-partition");
  commands::KafkaBusOptions options;
  options.kafka = options_for(prefix, 2);
  options.reply_partitions = 2;
  options.reply_partition = 2;
  const auto refused = failure_of([&] { commands::KafkaCommandBus bus(options); });
  EXPECT_NE(refused.find("reply partition 2 does not exist"), std::string::npos) << refused;
  options.reply_partition = 1;
  commands::KafkaCommandBus bus(options);
  EXPECT_GE(bus.reply_start_offset(), 0);
}

TEST(KafkaTopics, AProcessorRefusesToStartOnTopicsOfAnotherPartitionCount) {
  ORDERLINE_REQUIRE_KAFKA();
  const auto prefix = testing::unique_topic_prefix("processor-count");
  testing::create_topic(prefix + ".commands", 3);
  testing::TempDir dir;
  int status = 0;
  testing::run_command({ORDERD_PATH, "processor", "--event-log",
                        "kafka://" + testing::kafka_brokers() + "?prefix=" + prefix, "--partitions",
                                            "2", "--instance-id", "p", "--data-dir", dir.path(), "--log-level", "error"},
                                           &status);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace orderline::eventstore
