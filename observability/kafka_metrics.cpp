#include "observability/kafka_metrics.h"

#include <boost/json.hpp>

#include "observability/families.h"

namespace orderline::observability {
namespace {
namespace json = boost::json;

double number(const json::object& o, std::string_view key, double fallback = -1) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return fallback;
}

// Records the consumer has yet to fetch: from the last stable offset (read_committed) or the
// high watermark, to the position of the next record handed to the application (app_offset;
// before the first record, the fetch position less what waits in the fetch queue). librdkafka's
// own consumer_lag counts from the *committed* offset, which a processor never moves through
// this consumer (its offsets commit inside the producer's transactions), so it is used only
// when the position is unknown.
double partition_lag(const json::object& p) {
  const double ls = number(p, "ls_offset");
  const double end = ls >= 0 ? ls : number(p, "hi_offset");
  double position = number(p, "app_offset");
  if (position < 0 && number(p, "next_offset") >= 0) position = number(p, "next_offset") - number(p, "fetchq_cnt", 0);
  if (end >= 0 && position >= 0) return end > position ? end - position : 0;
  return number(p, "consumer_lag");
}

}  // namespace

void KafkaMetrics::on_statistics(std::string_view text) {
  boost::system::error_code ec;
  const auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return;
  const auto& root = parsed.as_object();
  const auto* name = root.if_contains("name");
  if (name == nullptr || !name->is_string()) return;

  Client fresh;
  fresh.updated = std::chrono::steady_clock::now();
  const auto* type = root.if_contains("type");
  fresh.producer = type != nullptr && type->is_string() && type->as_string() == "producer";
  fresh.queue_messages = number(root, "msg_cnt", 0);
  fresh.queue_bytes = number(root, "msg_size", 0);
  if (const auto* brokers = root.if_contains("brokers"); brokers && brokers->is_object()) {
    for (const auto& [broker_name, value] : brokers->as_object()) {
      if (!value.is_object()) continue;
      const auto& broker = value.as_object();
      // Bootstrap entries have no node id; coordinators ("GroupCoordinator", "TxnCoordinator")
      // are logical entries for a real broker that is listed on its own.
      const auto* source = broker.if_contains("source");
      if (number(broker, "nodeid") < 0 || (source && source->is_string() && source->as_string() == "logical")) continue;
      const auto* rtt = broker.if_contains("rtt");
      if (rtt == nullptr || !rtt->is_object() || number(rtt->as_object(), "cnt", 0) <= 0) continue;
      fresh.brokers[std::string(broker_name)] = {number(rtt->as_object(), "avg", 0) / 1e6,
                                                  number(rtt->as_object(), "p99", 0) / 1e6};
    }
  }
  if (const auto* topics = root.if_contains("topics"); topics && topics->is_object() && !fresh.producer) {
    for (const auto& [topic, value] : topics->as_object()) {
      const auto* partitions = value.is_object() ? value.as_object().if_contains("partitions") : nullptr;
      if (partitions == nullptr || !partitions->is_object()) continue;
      for (const auto& [key, p] : partitions->as_object()) {
        if (!p.is_object()) continue;
        const auto& partition = p.as_object();
        const double id = number(partition, "partition");
        const auto* fetch = partition.if_contains("fetch_state");
        // -1 is librdkafka's unassigned-messages pseudo-partition; "none" a partition not assigned.
        if (id < 0 || fetch == nullptr || !fetch->is_string() || fetch->as_string() == "none") continue;
        const double lag = partition_lag(partition);
        if (lag >= 0) fresh.lags[{std::string(topic), static_cast<std::int32_t>(id)}] = lag;
      }
    }
  }

  std::lock_guard lock(mutex_);
  auto& client = clients_[std::string(name->as_string())];
  // A window without requests to a broker has no round trip: keep the last one seen.
  for (auto& [broker, rtt] : client.brokers) fresh.brokers.try_emplace(broker, rtt);
  client = std::move(fresh);
}

void KafkaMetrics::set_transactions_source(std::function<eventstore::TransactionCounts()> source) {
  std::lock_guard lock(mutex_);
  transactions_ = std::move(source);
}

std::vector<prometheus::MetricFamily> KafkaMetrics::Collect() const {
  using prometheus::MetricType;
  std::lock_guard lock(mutex_);
  std::vector<prometheus::MetricFamily> out;
  if (transactions_) {
    const auto counts = transactions_();
    auto f = family("orderline_kafka_transactions_total",
                    "Kafka transactions of the event log's producer by result: committed, aborted, unknown "
                    "(the commit's outcome was not known)",
                    MetricType::Counter);
    for (const auto& [result, value] : {std::pair{"committed", counts.committed}, std::pair{"aborted", counts.aborted},
                                        std::pair{"unknown", counts.unknown}}) {
      prometheus::ClientMetric m;
      m.label = {{"result", result}};
      m.counter.value = static_cast<double>(value);
      f.metric.push_back(std::move(m));
    }
    out.push_back(std::move(f));
  }
  auto queue_messages = family("orderline_kafka_producer_queue_messages",
                               "Messages in a Kafka producer's queue, waiting to be sent or acknowledged", MetricType::Gauge);
  auto queue_bytes = family("orderline_kafka_producer_queue_bytes", "Size of the messages in a Kafka producer's queue",
                            MetricType::Gauge);
  auto rtt_avg = family("orderline_kafka_broker_rtt_avg_seconds",
                        "Mean request round trip to a broker over librdkafka's last statistics window", MetricType::Gauge);
  auto rtt_p99 = family("orderline_kafka_broker_rtt_p99_seconds",
                        "99th percentile of the request round trip to a broker over the last window", MetricType::Gauge);
  auto lag = family("orderline_kafka_consumer_lag",
                    "Records of an assigned partition the consumer has not fetched yet (last stable offset - position)",
                    MetricType::Gauge);
  const auto stale = std::chrono::steady_clock::now() - std::chrono::seconds(60);
  for (const auto& [name, client] : clients_) {
    if (client.updated < stale) continue;
    if (client.producer) {
      add_gauge(queue_messages, {{"client", name}}, client.queue_messages);
      add_gauge(queue_bytes, {{"client", name}}, client.queue_bytes);
    }
    for (const auto& [broker, rtt] : client.brokers) {
      add_gauge(rtt_avg, {{"broker", broker}, {"client", name}}, rtt.rtt_avg_s);
      add_gauge(rtt_p99, {{"broker", broker}, {"client", name}}, rtt.rtt_p99_s);
    }
    for (const auto& [key, records] : client.lags) {
      add_gauge(lag, {{"client", name}, {"partition", std::to_string(key.second)}, {"topic", key.first}}, records);
    }
  }
  for (auto* f : {&queue_messages, &queue_bytes, &rtt_avg, &rtt_p99, &lag}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace orderline::observability
