// `orderctl backup|restore DIR --event-log kafka://...` against the real broker: a deployment's
// events and outcomes are copied into a backup directory, restored into the empty topics of a
// new prefix (same partitions, same order, same keys, values and log times), a second restore
// into them is refused, and a deployment started on the new prefix with empty data directories
// serves the restored orders and takes new ones.
#include <gtest/gtest.h>

#include "eventstore/kafka/kafka_history_reader.h"
#include "tests/support/auth.h"
#include "tests/support/export_history.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/orderd_roles.h"

namespace orderline::testing {
namespace {

// Every committed record of <prefix>.<topic>, partition by partition, as "key|log time|value".
std::vector<std::vector<std::string>> topic_records(const std::string& prefix, const std::string& topic) {
  eventstore::KafkaHistoryOptions options;
  options.brokers = kafka_brokers();
  options.topic_prefix = prefix;
  options.topic = topic;
  eventstore::KafkaHistoryReader reader(options);
  std::vector<std::vector<std::string>> partitions(reader.partition_count());
  eventstore::LogRecord record;
  for (std::uint32_t p = 0; p < reader.partition_count(); ++p) {
    auto cursors = reader.open_ranges({{p, 0, reader.end_offset(p)}});
    while (cursors.front()->next(record)) {
      partitions[p].push_back(record.key + "|" + std::to_string(record.log_time_us) + "|" + record.value);
    }
  }
  return partitions;
}

std::size_t total(const std::vector<std::vector<std::string>>& partitions) {
  std::size_t n = 0;
  for (const auto& p : partitions) n += p.size();
  return n;
}

class KafkaBackupTest : public ::testing::Test {
 protected:
  void SetUp() override { ORDERLINE_REQUIRE_KAFKA(); }
  TempDir dir_;
};

TEST_F(KafkaBackupTest, RoundTripIntoANewPrefixKeepsEveryRecordInOrder) {
  KafkaDeployment source{unique_topic_prefix("backup-src"), 3};
  std::string order_id;
  std::string order_before;
  {
    auto processor = start_processor(source, dir_.path() + "/src", "a");
    GatewayProcess gateway(source, dir_.path() + "/src", 0, {"--demo-catalogue"});
    HttpClient http(gateway.port());
    http.set_default_headers(admin_bearer());
    auto customer = http.post("/api/v1/customers", R"({"email":"backup@example.com","name":"Bea"})");
    ASSERT_EQ(customer.status, 201u) << customer.body;
    const std::string customer_id(customer.json().at("customer_id").as_string());
    for (int i = 0; i < 8; ++i) {
      auto r = http.post("/api/v1/orders",
                         R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                         {{"Idempotency-Key", "backup-" + std::to_string(i)}});
      ASSERT_EQ(r.status, 201u) << r.body;
      order_id = std::string(r.json().at("order_id").as_string());
    }
    auto paid = http.post("/api/v1/orders/" + order_id + "/pay", "", {{"If-Match", "1"}});
    ASSERT_EQ(paid.status, 200u) << paid.body;
    // After the payment's position: the gateway's read models have folded it.
    auto read = http.get("/api/v1/orders/" + order_id + "?after=" + std::string(paid.json().at("position").as_string()));
    ASSERT_EQ(read.status, 200u);
    order_before = read.body;
  }
  const auto events = topic_records(source.prefix, "events");
  const auto outcomes = topic_records(source.prefix, "outcomes");
  ASSERT_GE(total(events), 10u);  // the catalogue, the customer, 8 orders, a payment
  ASSERT_GE(total(outcomes), 10u);

  const auto backup = dir_.path() + "/backup";
  auto made = orderctl({"backup", backup, "--event-log", source.url()}, true);
  ASSERT_EQ(made.status, 0) << made.out;
  EXPECT_NE(made.out.find("backed up " + std::to_string(total(events)) + " events"), std::string::npos) << made.out;
  EXPECT_EQ(orderctl({"backup", backup, "--event-log", source.url()}, true).status, 2) << "a non-empty DIR is refused";

  KafkaDeployment target{unique_topic_prefix("backup-dst"), 3};
  auto restored = orderctl({"restore", backup, "--event-log", target.url()}, true);
  ASSERT_EQ(restored.status, 0) << restored.out;
  EXPECT_EQ(topic_records(target.prefix, "events"), events);
  EXPECT_EQ(topic_records(target.prefix, "outcomes"), outcomes);
  auto again = orderctl({"restore", backup, "--event-log", target.url()}, true);
  EXPECT_EQ(again.status, 2) << again.out;
  EXPECT_NE(again.out.find("already holds records"), std::string::npos) << again.out;

  // The new prefix, on empty data directories: its read models fold the restored log, an
  // order reads as it did, and it takes new writes (the restored events topic appends again).
  auto processor = start_processor(target, dir_.path() + "/dst", "a");
  GatewayProcess gateway(target, dir_.path() + "/dst", 0);
  HttpClient http(gateway.port());
  http.set_default_headers(admin_bearer());
  HttpResponse read;
  for (int i = 0; i < 400; ++i) {
    read = http.get("/api/v1/orders/" + order_id);
    if (read.status == 200u && read.body == order_before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(read.body, order_before);
  auto ship = http.post("/api/v1/orders/" + order_id + "/ship", "", {{"If-Match", "2"}});
  EXPECT_EQ(ship.status, 200u) << ship.body;
  EXPECT_EQ(total(topic_records(target.prefix, "events")), total(events) + 1);
}

TEST_F(KafkaBackupTest, RestoreRefusesADirectoryThatIsNotABackup) {
  auto run = orderctl({"restore", dir_.path(), "--event-log", "kafka://" + kafka_brokers() + "?prefix=" +
                                                                   unique_topic_prefix("backup-none")},
                      true);
  EXPECT_EQ(run.status, 2) << run.out;
  EXPECT_NE(run.out.find("not a (complete) backup of a Kafka log"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace orderline::testing
