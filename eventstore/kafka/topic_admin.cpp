#include "eventstore/kafka/topic_admin.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "eventstore/kafka/client_conf.h"

namespace orderline::eventstore {
namespace {

using Clock = std::chrono::steady_clock;

struct ClientDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};

std::unique_ptr<rd_kafka_t, ClientDeleter> admin_client(const KafkaLogOptions& options) {
  ClientConf conf("kafka topics");
  conf.set("bootstrap.servers", options.brokers);
  conf.set("client.id", "orderline-topic-admin");
  conf.set("log.connection.close", "false");
  conf.set_all(options.client_config);
  return std::unique_ptr<rd_kafka_t, ClientDeleter>(conf.create(RD_KAFKA_PRODUCER));
}

// Partition count, or -1 when the topic does not exist; `ready` when every partition has a leader.
int describe(rd_kafka_t* rk, const KafkaLogOptions& options, const std::string& topic, bool& ready) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  auto err = rd_kafka_metadata(rk, 0, handle, &metadata, static_cast<int>(options.connect_timeout.count()));
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(fmt::format("kafka topics: cannot reach Kafka at {} (metadata of {}): {}",
                                         options.brokers, topic, rd_kafka_err2str(err)));
  }
  int count = -1;
  ready = false;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    const auto& t = metadata->topics[0];
    count = t.partition_cnt;
    ready = t.err == RD_KAFKA_RESP_ERR_NO_ERROR && count > 0;
    for (int i = 0; i < t.partition_cnt; ++i) ready = ready && t.partitions[i].leader >= 0;
  }
  rd_kafka_metadata_destroy(metadata);
  return count;
}

// One admin request: `send` issues it with these options onto this queue; the answer is awaited
// for the request timeout (+2 s). Returns "" or why it failed: no answer, the request's error,
// or what `failure_in` finds in the result.
std::string admin_request(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms,
                          const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& send,
                          const std::function<std::string(rd_kafka_event_t*)>& failure_in) {
  char errstr[512];
  auto* admin_options = rd_kafka_AdminOptions_new(rk, op);
  rd_kafka_AdminOptions_set_request_timeout(admin_options, timeout_ms, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(admin_options, timeout_ms, errstr, sizeof errstr);  // not every op has one
  auto* queue = rd_kafka_queue_new(rk);
  send(admin_options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 2000);
  std::string failure;
  if (event == nullptr) {
    failure = "no answer";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    failure = failure_in(event);
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin_options);
  return failure;
}

void create(rd_kafka_t* rk, const KafkaLogOptions& options, const TopicSpec& spec) {
  char errstr[512];
  auto* topic = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, options.replication_factor, errstr,
                                      sizeof errstr);
  if (topic == nullptr) throw std::runtime_error("kafka topics: cannot describe topic " + spec.name + ": " + errstr);
  for (const auto& [name, value] : spec.configs) rd_kafka_NewTopic_set_config(topic, name.c_str(), value.c_str());
  const auto failure = admin_request(
      rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, static_cast<int>(options.connect_timeout.count()),
      [&](rd_kafka_AdminOptions_t* admin_options, rd_kafka_queue_t* queue) {
        rd_kafka_CreateTopics(rk, &topic, 1, admin_options, queue);
      },
      [](rd_kafka_event_t* event) {
        std::size_t count = 0;
        const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        std::string failure;
        for (std::size_t i = 0; i < count; ++i) {
          const auto err = rd_kafka_topic_result_error(results[i]);
          // Another process may have created it a moment ago: the caller checks the count.
          if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
          const char* detail = rd_kafka_topic_result_error_string(results[i]);
          failure = detail != nullptr ? detail : rd_kafka_err2str(err);
        }
        return failure;
      });
  rd_kafka_NewTopic_destroy(topic);
  if (!failure.empty()) {
    throw std::runtime_error(fmt::format("kafka topics: cannot create {} at {}: {}", spec.name, options.brokers, failure));
  }
}

}  // namespace

void set_topic_configs(const KafkaLogOptions& options, const TopicSpec& spec) {
  auto rk = admin_client(options);
  auto* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, spec.name.c_str());
  for (const auto& [name, value] : spec.configs) rd_kafka_ConfigResource_set_config(resource, name.c_str(), value.c_str());
  const auto failure = admin_request(
      rk.get(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS, static_cast<int>(options.connect_timeout.count()),
      [&](rd_kafka_AdminOptions_t* admin_options, rd_kafka_queue_t* queue) {
        rd_kafka_AlterConfigs(rk.get(), &resource, 1, admin_options, queue);
      },
      [](rd_kafka_event_t* event) {
        std::size_t count = 0;
        const auto** results = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
        std::string failure;
        for (std::size_t i = 0; i < count; ++i) {
          const auto err = rd_kafka_ConfigResource_error(results[i]);
          if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
          const char* detail = rd_kafka_ConfigResource_error_string(results[i]);
          failure = detail != nullptr ? detail : rd_kafka_err2str(err);
        }
        return failure;
      });
  rd_kafka_ConfigResource_destroy(resource);
  if (!failure.empty()) {
    throw std::runtime_error(
        fmt::format("kafka topics: cannot set the configs of {} at {}: {}", spec.name, options.brokers, failure));
  }
}

std::vector<std::pair<std::string, std::string>> events_topic_configs() {
  return {{"retention.ms", "-1"}, {"retention.bytes", "-1"}, {"message.timestamp.type", "LogAppendTime"}};
}

std::vector<std::pair<std::string, std::string>> outcomes_topic_configs() { return {{"cleanup.policy", "compact"}}; }

std::string commands_topic(const std::string& prefix) { return prefix + ".commands"; }
std::string replies_topic(const std::string& prefix) { return prefix + ".replies"; }

int ensure_topic(const KafkaLogOptions& options, const TopicSpec& spec) {
  auto rk = admin_client(options);
  bool ready = false;
  if (describe(rk.get(), options, spec.name, ready) < 0) create(rk.get(), options, spec);
  const auto deadline = Clock::now() + options.connect_timeout;
  for (;;) {
    const int count = describe(rk.get(), options, spec.name, ready);
    if (count >= 0 && ready) return count;
    if (Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("kafka topics: {} at {} has no leader after {} ms", spec.name,
                                           options.brokers, options.connect_timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string ensure_commands_topic(const KafkaLogOptions& options) {
  const auto name = commands_topic(options.topic_prefix);
  // Commands are work in flight, not history: a week covers any outage a processor group
  // could catch up from; their effects live in the events topic.
  const int count = ensure_topic(options, {name, static_cast<int>(options.partitions), {{"retention.ms", "604800000"}}});
  if (count != static_cast<int>(options.partitions)) {
    throw std::runtime_error(fmt::format(
        "kafka topics: {} has {} partitions but the events and outcomes topics have {}; commands must be "
        "co-partitioned with them (DESIGN rule 1)",
        name, count, options.partitions));
  }
  return name;
}

int ensure_replies_topic(const KafkaLogOptions& options, int partitions) {
  // A reply matters only until its gateway reads it (seconds); an hour is plenty.
  return ensure_topic(options, {replies_topic(options.topic_prefix), partitions, {{"retention.ms", "3600000"}}});
}

}  // namespace orderline::eventstore
