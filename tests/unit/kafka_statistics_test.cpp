// librdkafka's statistics JSON -> the Kafka gauges (observability/kafka_metrics.h), on JSON of
// librdkafka 2.0.2's shape. The real broker's statistics are tested in
// integration/kafka_metrics_test.cpp; this pins down the choices made on the way: which
// brokers and partitions count, how lag is computed, what a quiet window keeps.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <sstream>

#include "observability/kafka_metrics.h"
#include "observability/metrics_text.h"

namespace orderline::observability {
namespace {

std::vector<Sample> render(const KafkaMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.Collect());
  return parse_metrics_text(out.str());
}

// A consumer of two partitions of "shop.commands", plus librdkafka's own entries that must not
// become series: the bootstrap broker (nodeid -1), the unassigned pseudo-partition -1, and a
// partition that is known but not assigned (fetch_state "none").
constexpr const char* kConsumer = R"({
  "name": "orderline-processor#consumer-2", "client_id": "orderline-processor", "type": "consumer",
  "msg_cnt": 0, "msg_size": 0,
  "brokers": {
    "127.0.0.1:9092/bootstrap": {"name": "127.0.0.1:9092/bootstrap", "nodeid": -1, "state": "UP",
                                 "rtt": {"min": 100, "max": 900, "avg": 500, "p99": 900, "cnt": 3}},
    "127.0.0.1:9092/1": {"name": "127.0.0.1:9092/1", "nodeid": 1, "state": "UP", "source": "learned",
                         "rtt": {"min": 200, "max": 4000, "avg": 1500, "p99": 3900, "cnt": 40}},
    "GroupCoordinator": {"name": "GroupCoordinator", "nodeid": 1, "state": "UP", "source": "logical",
                         "rtt": {"min": 100, "max": 700, "avg": 300, "p99": 700, "cnt": 9}}
  },
  "topics": {"shop.commands": {"topic": "shop.commands", "partitions": {
    "0": {"partition": 0, "fetch_state": "active", "ls_offset": 120, "hi_offset": 125, "app_offset": 100,
          "committed_offset": 7, "consumer_lag": 113},
    "1": {"partition": 1, "fetch_state": "active", "ls_offset": 50, "hi_offset": 50, "app_offset": 50,
          "committed_offset": -1001, "consumer_lag": -1},
    "3": {"partition": 3, "fetch_state": "active", "ls_offset": 40, "hi_offset": 40, "app_offset": -1001,
          "next_offset": 40, "fetchq_cnt": 0, "committed_offset": -1001, "consumer_lag": -1},
    "4": {"partition": 4, "fetch_state": "active", "ls_offset": 40, "hi_offset": 40, "app_offset": -1001,
          "next_offset": 40, "fetchq_cnt": 6, "committed_offset": -1001, "consumer_lag": -1},
    "2": {"partition": 2, "fetch_state": "none", "ls_offset": 9, "hi_offset": 9, "app_offset": -1001,
          "consumer_lag": -1},
    "-1": {"partition": -1, "fetch_state": "none", "ls_offset": -1001, "app_offset": -1001, "consumer_lag": -1}
  }}}
})";

TEST(KafkaStatistics, ConsumerLagIsFromThePositionNotTheCommittedOffset) {
  KafkaMetrics metrics;
  metrics.on_statistics(kConsumer);
  const auto samples = render(metrics);
  const LabelFilter client{{"client", "orderline-processor#consumer-2"}, {"topic", "shop.commands"}};
  auto with = [&](const char* partition) {
    auto filter = client;
    filter.emplace_back("partition", partition);
    return filter;
  };
  // read_committed: the last stable offset (120), not the high watermark (125), minus the
  // position (100); the committed offset 7 (moved only by the transactions) plays no part.
  EXPECT_EQ(sum_of(samples, "orderline_kafka_consumer_lag", with("0")), 20);
  EXPECT_TRUE(has_sample(samples, "orderline_kafka_consumer_lag", with("1")));
  EXPECT_EQ(sum_of(samples, "orderline_kafka_consumer_lag", with("1")), 0);
  // Nothing consumed yet: the fetch position less the records fetched but not handed over.
  EXPECT_TRUE(has_sample(samples, "orderline_kafka_consumer_lag", with("3")));
  EXPECT_EQ(sum_of(samples, "orderline_kafka_consumer_lag", with("3")), 0);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_consumer_lag", with("4")), 6);
  EXPECT_FALSE(has_sample(samples, "orderline_kafka_consumer_lag", with("2")));
  EXPECT_FALSE(has_sample(samples, "orderline_kafka_consumer_lag", with("-1")));
  // A consumer has no producer queue.
  EXPECT_FALSE(has_sample(samples, "orderline_kafka_producer_queue_messages"));
}

TEST(KafkaStatistics, RoundTripsOfRealBrokersInSecondsAndKeptThroughAQuietWindow) {
  KafkaMetrics metrics;
  metrics.on_statistics(kConsumer);
  const LabelFilter broker{{"broker", "127.0.0.1:9092/1"}};
  auto samples = render(metrics);
  EXPECT_DOUBLE_EQ(sum_of(samples, "orderline_kafka_broker_rtt_avg_seconds", broker), 0.0015);
  EXPECT_DOUBLE_EQ(sum_of(samples, "orderline_kafka_broker_rtt_p99_seconds", broker), 0.0039);
  EXPECT_FALSE(has_sample(samples, "orderline_kafka_broker_rtt_avg_seconds", {{"broker", "127.0.0.1:9092/bootstrap"}}));
  EXPECT_FALSE(has_sample(samples, "orderline_kafka_broker_rtt_avg_seconds", {{"broker", "GroupCoordinator"}}));

  // The next window saw no request to that broker (cnt 0, avg 0): the last round trip stays.
  std::string quiet = kConsumer;
  quiet.replace(quiet.find(R"("avg": 1500, "p99": 3900, "cnt": 40)"), 35, R"("avg": 0, "p99": 0, "cnt": 0      )");
  metrics.on_statistics(quiet);
  samples = render(metrics);
  EXPECT_DOUBLE_EQ(sum_of(samples, "orderline_kafka_broker_rtt_avg_seconds", broker), 0.0015);
}

TEST(KafkaStatistics, ProducerQueueAndTransactionCounts) {
  KafkaMetrics metrics;
  metrics.on_statistics(R"({"name": "orderline-event-log#producer-1", "type": "producer", "msg_cnt": 17,
                            "msg_size": 4096, "brokers": {}, "topics": {}})");
  eventstore::TransactionCounts counts{12, 3, 1};
  metrics.set_transactions_source([&] { return counts; });
  const auto samples = render(metrics);
  const LabelFilter client{{"client", "orderline-event-log#producer-1"}};
  EXPECT_EQ(sum_of(samples, "orderline_kafka_producer_queue_messages", client), 17);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_producer_queue_bytes", client), 4096);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "committed"}}), 12);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "aborted"}}), 3);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "unknown"}}), 1);
}

TEST(KafkaStatistics, UnreadableStatisticsChangeNothing) {
  KafkaMetrics metrics;
  metrics.on_statistics(kConsumer);
  const auto before = render(metrics).size();
  metrics.on_statistics("{not json");
  metrics.on_statistics(R"({"type": "producer", "msg_cnt": 5})");  // no name: whose?
  metrics.on_statistics("[]");
  EXPECT_EQ(render(metrics).size(), before);
  EXPECT_FALSE(has_sample(render(metrics), "orderline_kafka_producer_queue_messages"));
}

}  // namespace
}  // namespace orderline::observability
