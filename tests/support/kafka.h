#pragma once
// The real broker for integration tests: its address from ORDERLINE_KAFKA (scripts/test
// starts one with scripts/kafka), unique topic prefixes so tests run in parallel, and a
// transactional producer of the test's own, for writes the log under test must not see.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

namespace orderline::testing {

inline std::string kafka_brokers() {
  const char* brokers = std::getenv("ORDERLINE_KAFKA");
  return brokers != nullptr ? brokers : "";
}

// In a test body or SetUp: stops the test when no broker is given. Under CI (CI set) that is
// a failure, never a skip, so a CI that forgot the broker cannot pass.
#define ORDERLINE_REQUIRE_KAFKA()                                                                   \
  do {                                                                                            \
    if (::orderline::testing::kafka_brokers().empty()) {                                          \
      if (std::getenv("CI") != nullptr) {                                                         \
        FAIL() << "ORDERLINE_KAFKA is not set: CI must run the Kafka tests against a broker "      \
                  "(scripts/test starts one with scripts/kafka)";                                 \
      }                                                                                           \
      GTEST_SKIP() << "ORDERLINE_KAFKA is not set: start a broker with "                          \
                      "`eval \"$(scripts/kafka start)\"; export ORDERLINE_KAFKA` to run this test"; \
    }                                                                                             \
  } while (false)

// "t-<hint>-<random>": topics of one test never meet another test's (or an earlier run's).
inline std::string unique_topic_prefix(const std::string& hint) {
  static std::mt19937_64 random(std::random_device{}() ^
                                static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string prefix = "t-";
  for (char c : hint) prefix.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "-%012llx", static_cast<unsigned long long>(random() & 0xffffffffffffULL));
  return prefix + suffix;
}

// A transactional producer that is not the log: its transactions are the ones a read_committed
// reader must not see until they commit (and never, once aborted).
class ForeignProducer {
 public:
  explicit ForeignProducer(const std::string& transactional_id) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    auto set = [&](const char* name, const std::string& value) {
      if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        throw std::runtime_error(errstr);
      }
    };
    set("bootstrap.servers", kafka_brokers());
    set("transactional.id", transactional_id);
    set("linger.ms", "0");
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (producer_ == nullptr) throw std::runtime_error(errstr);
    check(rd_kafka_init_transactions(producer_, 10'000), "init_transactions");
  }
  ~ForeignProducer() { rd_kafka_destroy(producer_); }
  ForeignProducer(const ForeignProducer&) = delete;
  ForeignProducer& operator=(const ForeignProducer&) = delete;

  void begin() { check(rd_kafka_begin_transaction(producer_), "begin_transaction"); }
  // Produces and waits until the broker has the record (inside the open transaction).
  void produce(const std::string& topic, std::int32_t partition, const std::string& key, const std::string& value) {
    // Metadata first: a producer that meets a topic in producev() learns it on its next
    // metadata refresh, which costs a second per topic.
    rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(producer_, 0, handle, &metadata, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
    auto err = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(rd_kafka_err2str(err));
    if (rd_kafka_flush(producer_, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error("flush timed out");
  }
  void abort() { check(rd_kafka_abort_transaction(producer_, 10'000), "abort_transaction"); }
  void commit() { check(rd_kafka_commit_transaction(producer_, 10'000), "commit_transaction"); }

 private:
  static void check(rd_kafka_error_t* error, const char* what) {
    if (error == nullptr) return;
    std::string message = std::string(what) + ": " + rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw std::runtime_error(message);
  }
  rd_kafka_t* producer_ = nullptr;
};

// Runs one admin request on a short-lived client and throws with `what` unless the broker
// answered it without error for its one topic. submit(admin, queue) sends the request;
// topic_results(event, &count) picks the request's per-topic results from the answer.
template <typename Submit, typename TopicResults>
inline void run_topic_admin(const std::string& what, Submit submit, TopicResults topic_results) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), errstr, sizeof errstr);
  rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (admin == nullptr) throw std::runtime_error(errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  submit(admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20'000);
  std::string failure;
  if (event == nullptr) {
    failure = "no answer";
  } else {
    std::size_t count = 0;
    const auto** results = topic_results(event, &count);
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) failure = rd_kafka_event_error_string(event);
    else if (count != 1 || rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) failure = "topic error";
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(admin);
  if (!failure.empty()) throw std::runtime_error("cannot " + what + ": " + failure);
}

// Creates a topic with the admin API (for tests that need topics the log did not make).
inline void create_topic(const std::string& name, int partitions) {
  char errstr[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, errstr, sizeof errstr);
  if (topic == nullptr) throw std::runtime_error(errstr);
  try {
    run_topic_admin(
        "create topic " + name,
        [&](rd_kafka_t* admin, rd_kafka_queue_t* queue) { rd_kafka_CreateTopics(admin, &topic, 1, nullptr, queue); },
        [](rd_kafka_event_t* event, std::size_t* count) {
          return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), count);
        });
  } catch (...) {
    rd_kafka_NewTopic_destroy(topic);
    throw;
  }
  rd_kafka_NewTopic_destroy(topic);
}

// Deletes a topic with the admin API (for tests of a log whose topic disappears).
inline void delete_topic(const std::string& name) {
  rd_kafka_DeleteTopic_t* topic = rd_kafka_DeleteTopic_new(name.c_str());
  try {
    run_topic_admin(
        "delete topic " + name,
        [&](rd_kafka_t* admin, rd_kafka_queue_t* queue) { rd_kafka_DeleteTopics(admin, &topic, 1, nullptr, queue); },
        [](rd_kafka_event_t* event, std::size_t* count) {
          return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), count);
        });
  } catch (...) {
    rd_kafka_DeleteTopic_destroy(topic);
    throw;
  }
  rd_kafka_DeleteTopic_destroy(topic);
}

}  // namespace orderline::testing
