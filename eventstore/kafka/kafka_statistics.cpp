#include "eventstore/kafka/kafka_statistics.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <string>

namespace orderline::eventstore {
namespace {

std::atomic<KafkaStatisticsObserver*> g_observer{nullptr};

int on_stats(rd_kafka_t*, char* json, size_t json_len, void*) {
  if (auto* observer = g_observer.load()) observer->on_statistics(std::string_view(json, json_len));
  return 0;  // librdkafka frees the JSON
}

}  // namespace

void set_kafka_statistics_observer(KafkaStatisticsObserver* observer) { g_observer.store(observer); }

void unset_kafka_statistics_observer(KafkaStatisticsObserver* observer) {
  g_observer.compare_exchange_strong(observer, nullptr);
}

bool enable_kafka_statistics(rd_kafka_conf_t* conf, std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return false;
  char errstr[256];
  if (rd_kafka_conf_set(conf, "statistics.interval.ms", std::to_string(interval.count()).c_str(), errstr,
                        sizeof errstr) != RD_KAFKA_CONF_OK) {
    return false;  // out of librdkafka's range: the caller's config is checked elsewhere
  }
  rd_kafka_conf_set_stats_cb(conf, on_stats);
  return true;
}

}  // namespace orderline::eventstore
