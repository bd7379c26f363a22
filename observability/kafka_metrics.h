#pragma once
// The Kafka clients' metrics, from librdkafka's statistics JSON (eventstore/kafka/kafka_statistics.h)
// and the event log's transaction counts, all served at scrape time from the last statistics
// each client sent (nothing is updated on the write path):
//   orderline_kafka_producer_queue_messages{client}          messages in the producer's queue (msg_cnt)
//   orderline_kafka_producer_queue_bytes{client}             their size (msg_size)
//   orderline_kafka_broker_rtt_avg_seconds{client,broker}    request round trip, mean of the last window
//   orderline_kafka_broker_rtt_p99_seconds{client,broker}    its 99th percentile
//   orderline_kafka_consumer_lag{client,topic,partition}     records of an assigned partition the
//                                                            consumer has not fetched yet
//   orderline_kafka_transactions_total{result}               the event log's transactions:
//                                                            committed, aborted, unknown
// `client` is librdkafka's client name (client.id#type-N); `broker` is host:port/node-id.
// A client that sends nothing for 60 s (destroyed, e.g. a replaced producer) is left out.
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/kafka/kafka_statistics.h"

namespace orderline::observability {

class KafkaMetrics final : public eventstore::KafkaStatisticsObserver, public prometheus::Collectable {
 public:
  // Parses one statistics JSON and keeps what the gauges need; a JSON it cannot read is dropped.
  void on_statistics(std::string_view json) override;
  void set_transactions_source(std::function<eventstore::TransactionCounts()> source);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Broker {
    double rtt_avg_s = 0;
    double rtt_p99_s = 0;
  };
  struct Client {
    std::chrono::steady_clock::time_point updated;
    bool producer = false;
    double queue_messages = 0;
    double queue_bytes = 0;
    std::map<std::string, Broker> brokers;  // only brokers that answered a request so far
    std::map<std::pair<std::string, std::int32_t>, double> lags;  // (topic, partition) -> records
  };

  mutable std::mutex mutex_;
  std::map<std::string, Client> clients_;
  std::function<eventstore::TransactionCounts()> transactions_;
};

}  // namespace orderline::observability
