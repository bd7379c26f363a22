#pragma once
// librdkafka's statistics (its `statistics.interval.ms` JSON: queues, per-broker round trips,
// per-partition consumer positions) handed to whoever turns them into metrics. The eventstore
// knows nothing of Prometheus; observability/kafka_metrics.h parses and exports them.
//
// The observer is process-wide, not per client: each client's one callback opaque is already
// taken (delivery reports, rebalances), and a process has one metrics registry. Clients are
// told apart by the "name" field of their JSON (client.id#type-N, unique in the process).
//
//   set_kafka_statistics_observer(&kafka_metrics);        // once, before the clients exist
//   options.statistics_interval = std::chrono::seconds(5); // KafkaLogOptions of every client
//
// librdkafka emits statistics only from inside rd_kafka_poll()/consumer_poll()/flush() of the
// client, and queues them until then: enable them only on clients that are polled all the time
// (the event log's transactional producer, the processor's and the bus's clients), never on an
// idle one, whose queue would grow.
#include <chrono>
#include <string_view>

struct rd_kafka_conf_s;  // librdkafka's rd_kafka_conf_t

namespace orderline::eventstore {

class KafkaStatisticsObserver {
 public:
  virtual ~KafkaStatisticsObserver() = default;
  // One client's statistics JSON. Called on that client's polling thread: must not block.
  virtual void on_statistics(std::string_view json) = 0;
};

// nullptr: statistics are dropped (the default).
void set_kafka_statistics_observer(KafkaStatisticsObserver* observer);
// Back to nullptr if `observer` is the one set (its owner is going away).
void unset_kafka_statistics_observer(KafkaStatisticsObserver* observer);

// Sets statistics.interval.ms and the callback on `conf` (before rd_kafka_new) when `interval`
// is positive; nothing otherwise. Returns whether it did.
bool enable_kafka_statistics(rd_kafka_conf_s* conf, std::chrono::milliseconds interval);

}  // namespace orderline::eventstore
