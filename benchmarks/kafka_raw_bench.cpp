// kafka_raw_bench: what the broker and librdkafka do on their own, the ceiling of Orderline's
// Kafka mode (benchmarks/run, issue 7). Into a fresh topic of its own it produces N messages
// the size of Orderline's events with the producer settings Orderline uses
// (enable.idempotence, acks=all, Nagle off, explicit partitions), waits for every delivery
// report, then reads them back with a read_committed consumer. Prints one JSON object.
//
//   kafka_raw_bench --brokers 127.0.0.1:9092 --messages 200000 --partitions 8
//                   [--size-from-topic orderline.events | --key-bytes 36 --value-bytes 300]
//
// --passthrough-batch B (repeatable) adds the ceiling of a transactional processor: a loop of
// ours that consumes a batch of B messages of that topic (read_committed), produces the same
// number to a second topic, sends the consumed offsets and commits -- one Kafka transaction
// per batch, as `orderd processor` does -- for at most --passthrough-seconds per batch size.
//
// --size-from-topic reads up to 1,000 committed messages of that topic (Orderline's events
// after a Kafka-mode run) and uses their mean key and value sizes, so "the same size as our
// events" is measured, not assumed. The topic it writes is deleted at the end. Loopback only.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string brokers;
  long messages = 200000;
  int partitions = 8;
  std::string size_from_topic;
  std::size_t key_bytes = 36;     // a stream id ("order-" + UUID is 42; UUID alone 36)
  std::size_t value_bytes = 300;  // used only without --size-from-topic
  std::vector<int> passthrough_batches;
  double passthrough_seconds = 10;
};

bool loopback_brokers(const std::string& brokers) {
  std::size_t start = 0;
  while (start <= brokers.size()) {
    const auto end = brokers.find(',', start);
    const auto broker = brokers.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto host = broker.substr(0, broker.rfind(':'));
    if (host != "localhost" && host.rfind("127.", 0) != 0 && host != "[::1]") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct KafkaDeleter {
  void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(std::string("config ") + name + ": " + errstr);
  }
}

KafkaPtr make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[512];
  rd_kafka_t* client = rd_kafka_new(type, conf, errstr, sizeof errstr);  // owns conf on success
  if (client == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + errstr);
  }
  return KafkaPtr(client);
}

rd_kafka_conf_t* base_conf(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.brokers);
  set(conf, "socket.nagle.disable", "true");
  return conf;
}

// Runs one admin request (create or delete) and waits for its result event.
void admin_wait(rd_kafka_t* client, rd_kafka_queue_t* queue, const char* what) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  if (event == nullptr) throw std::runtime_error(std::string(what) + ": no answer within 30 s");
  const rd_kafka_topic_result_t* const* results = nullptr;
  std::size_t count = 0;
  if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
    results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  } else if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_DELETETOPICS_RESULT) {
    results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
  }
  std::string error = rd_kafka_event_error(event) ? rd_kafka_event_error_string(event) : "";
  for (std::size_t i = 0; i < count && error.empty(); ++i) {
    if (rd_kafka_topic_result_error(results[i])) error = rd_kafka_topic_result_error_string(results[i]);
  }
  rd_kafka_event_destroy(event);
  (void)client;
  if (!error.empty()) throw std::runtime_error(std::string(what) + ": " + error);
}

void create_topic(rd_kafka_t* client, const std::string& topic, int partitions) {
  char errstr[512];
  rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr);
  if (t == nullptr) throw std::runtime_error(std::string("NewTopic: ") + errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  rd_kafka_CreateTopics(client, &t, 1, nullptr, queue);
  try {
    admin_wait(client, queue, "create topic");
  } catch (...) {
    rd_kafka_NewTopic_destroy(t);
    rd_kafka_queue_destroy(queue);
    throw;
  }
  rd_kafka_NewTopic_destroy(t);
  rd_kafka_queue_destroy(queue);
}

void delete_topic(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_DeleteTopic_t* t = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  rd_kafka_DeleteTopics(client, &t, 1, nullptr, queue);
  try {
    admin_wait(client, queue, "delete topic");
  } catch (const std::exception& e) {
    std::cerr << "kafka_raw_bench: " << e.what() << std::endl;  // not fatal: figures are taken
  }
  rd_kafka_DeleteTopic_destroy(t);
  rd_kafka_queue_destroy(queue);
}

int partition_count(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  int count = -1;
  if (rd_kafka_metadata(client, 0, handle, &metadata, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = metadata->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  return count;
}

KafkaPtr committed_reader(const Options& o, const std::string& topic, int partitions) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "group.id", "kafka-raw-bench");  // needed by the consumer API; nothing is committed
  set(conf, "enable.auto.commit", "false");
  set(conf, "isolation.level", "read_committed");
  set(conf, "fetch.wait.max.ms", "10");
  set(conf, "enable.partition.eof", "true");  // the size sample stops at the end of a short topic
  auto consumer = make_client(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  const auto err = rd_kafka_assign(consumer.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));
  return consumer;
}

// Mean key and value size of (up to) the first 1,000 committed messages of a topic.
std::pair<std::size_t, std::size_t> sample_sizes(const Options& o, std::size_t& sampled) {
  auto probe = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  const int partitions = partition_count(probe.get(), o.size_from_topic);
  if (partitions <= 0) throw std::runtime_error("topic " + o.size_from_topic + " not found");
  auto consumer = committed_reader(o, o.size_from_topic, partitions);
  std::size_t keys = 0, values = 0;
  sampled = 0;
  int at_end = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (sampled < 1000 && at_end < partitions && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (m == nullptr) continue;
    if (!m->err) {
      keys += m->key_len;
      values += m->len;
      ++sampled;
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  if (sampled == 0) throw std::runtime_error("no committed message in " + o.size_from_topic);
  return {keys / sampled, values / sampled};
}

struct DeliveryState {
  long delivered = 0;
  long failed = 0;
  Clock::time_point last;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* state = static_cast<DeliveryState*>(opaque);
  if (m->err) {
    state->failed++;
  } else {
    state->delivered++;
  }
  state->last = Clock::now();
}

std::string random_bytes(std::size_t n, std::mt19937_64& rng) {
  // Printable, like protobuf text fields mostly are; compression is off anyway.
  std::string s(n, ' ');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct PassThrough {
  int batch = 0;
  long messages = 0;
  long transactions = 0;
  double seconds = 0;
};

void check(rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return;
  std::string text = std::string(what) + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  throw std::runtime_error(text);
}

// consume B -> begin -> produce B -> send offsets -> commit, from the start of `source` until
// it is all passed through or the time is up.
PassThrough pass_through(const Options& o, const std::string& source, const std::string& sink, int batch,
                         long available, std::mt19937_64& rng) {
  const std::string id = "raw-bench-pt-" + std::to_string(rng() % 1000000000);
  DeliveryState state;
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "transactional.id", id);  // implies idempotence and acks=all
  set(conf, "linger.ms", "0");        // as Orderline's log: each batch is flushed at once
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &state);
  auto producer = make_client(RD_KAFKA_PRODUCER, conf);
  check(rd_kafka_init_transactions(producer.get(), 30000), "init_transactions");
  auto consumer = committed_reader(o, source, o.partitions);
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(id.c_str());

  PassThrough result;
  result.batch = batch;
  std::vector<std::int64_t> next(o.partitions, -1);
  std::vector<rd_kafka_message_t*> taken;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.passthrough_seconds);
  while (result.messages < available && Clock::now() < deadline) {
    for (int timeout = 100; static_cast<int>(taken.size()) < batch; timeout = 0) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), timeout);
      if (m == nullptr) break;
      if (m->err) {
        rd_kafka_message_destroy(m);
        continue;
      }
      taken.push_back(m);
    }
    if (taken.empty()) continue;
    check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
    for (auto* m : taken) {
      auto err = rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(sink.c_str()), RD_KAFKA_V_PARTITION(m->partition),
                                   RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
      next[m->partition] = m->offset + 1;
    }
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(o.partitions);
    for (int p = 0; p < o.partitions; ++p) {
      if (next[p] >= 0) rd_kafka_topic_partition_list_add(offsets, source.c_str(), p)->offset = next[p];
    }
    rd_kafka_error_t* sent = rd_kafka_send_offsets_to_transaction(producer.get(), offsets, group, 30000);
    rd_kafka_topic_partition_list_destroy(offsets);
    check(sent, "send_offsets_to_transaction");
    check(rd_kafka_commit_transaction(producer.get(), 30000), "commit_transaction");
    result.messages += static_cast<long>(taken.size());
    ++result.transactions;
    for (auto* m : taken) rd_kafka_message_destroy(m);
    taken.clear();
  }
  result.seconds = seconds(Clock::now() - start);
  for (auto* m : taken) rd_kafka_message_destroy(m);
  rd_kafka_consumer_group_metadata_destroy(group);
  rd_kafka_consumer_close(consumer.get());
  if (state.failed > 0) throw std::runtime_error("pass-through: a delivery failed");
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"kafka_raw_bench: raw idempotent produce and read_committed consume rate (loopback only)"};
  app.add_option("--brokers", o.brokers, "bootstrap servers, loopback only")->required();
  app.add_option("--messages", o.messages, "messages to produce and consume")->capture_default_str()
      ->check(CLI::Range(1L, 100000000L));
  app.add_option("--partitions", o.partitions, "partitions of the bench topic")->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--size-from-topic", o.size_from_topic, "take key and value sizes from this topic's messages");
  app.add_option("--key-bytes", o.key_bytes, "key size without --size-from-topic")->capture_default_str();
  app.add_option("--value-bytes", o.value_bytes, "value size without --size-from-topic")->capture_default_str();
  app.add_option("--passthrough-batch", o.passthrough_batches,
                 "also measure a transactional consume-produce-commit loop with batches of this many messages "
                 "(repeatable)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--passthrough-seconds", o.passthrough_seconds, "time limit of each pass-through run")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 600.0));
  CLI11_PARSE(app, argc, argv);
  if (!loopback_brokers(o.brokers)) {
    std::cerr << "kafka_raw_bench: only loopback brokers may be loaded" << std::endl;
    return 2;
  }

  try {
    std::size_t sampled = 0;
    if (!o.size_from_topic.empty()) std::tie(o.key_bytes, o.value_bytes) = sample_sizes(o, sampled);

    std::mt19937_64 rng(std::random_device{}());
    const std::string topic = "raw-bench-" + std::to_string(rng() % 1000000000);

    // Producer as Orderline's: idempotent, acks=all; librdkafka's defaults otherwise.
    DeliveryState state;
    rd_kafka_conf_t* conf = base_conf(o);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &state);
    auto producer = make_client(RD_KAFKA_PRODUCER, conf);
    create_topic(producer.get(), topic, o.partitions);

    // A pool of distinct keys and values, built before the clock starts.
    std::vector<std::string> keys, values;
    for (int i = 0; i < 1024; ++i) {
      keys.push_back(random_bytes(o.key_bytes, rng));
      values.push_back(random_bytes(o.value_bytes, rng));
    }
    rd_kafka_topic_t* handle = rd_kafka_topic_new(producer.get(), topic.c_str(), nullptr);
    const auto produce_start = Clock::now();
    for (long i = 0; i < o.messages;) {
      const auto& key = keys[i % keys.size()];
      auto& value = values[i % values.size()];
      const int rc = rd_kafka_produce(handle, static_cast<std::int32_t>(i % o.partitions), RD_KAFKA_MSG_F_COPY,
                                      value.data(), value.size(), key.data(), key.size(), nullptr);
      if (rc == -1) {
        if (rd_kafka_last_error() == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_poll(producer.get(), 1);  // the local queue is full: serve delivery reports
          continue;
        }
        throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
      }
      ++i;
      rd_kafka_poll(producer.get(), 0);
    }
    if (rd_kafka_flush(producer.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("flush: not every message was delivered within 120 s");
    }
    rd_kafka_topic_destroy(handle);
    const double produce_s = seconds(state.last - produce_start);

    // read_committed consumer from the beginning of every partition until all are read.
    auto consumer = committed_reader(o, topic, o.partitions);
    long consumed = 0;
    const auto consume_start = Clock::now();
    auto consume_end = consume_start;
    const auto deadline = consume_start + std::chrono::seconds(120);
    while (consumed < state.delivered && Clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
      if (m == nullptr) continue;
      if (!m->err) {
        ++consumed;
        consume_end = Clock::now();
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer.get());
    consumer.reset();
    const double consume_s = seconds(consume_end - consume_start);

    std::string passthrough = "[";
    if (!o.passthrough_batches.empty()) {
      const std::string sink = topic + "-sink";
      create_topic(producer.get(), sink, o.partitions);
      for (const int batch : o.passthrough_batches) {
        const auto r = pass_through(o, topic, sink, batch, state.delivered, rng);
        char line[256];
        std::snprintf(line, sizeof line,
                      "%s{\"batch\":%d,\"messages\":%ld,\"transactions\":%ld,\"seconds\":%.3f,"
                      "\"messages_per_s\":%.1f,\"transactions_per_s\":%.1f}",
                      passthrough.size() > 1 ? "," : "", r.batch, r.messages, r.transactions, r.seconds,
                      r.seconds > 0 ? r.messages / r.seconds : 0.0, r.seconds > 0 ? r.transactions / r.seconds : 0.0);
        passthrough += line;
      }
      delete_topic(producer.get(), sink);
    }
    passthrough += "]";
    delete_topic(producer.get(), topic);

    const double bytes = static_cast<double>(o.key_bytes + o.value_bytes);
    std::printf(
        "{\"messages\":%ld,\"partitions\":%d,\"key_bytes\":%zu,\"value_bytes\":%zu,\"sizes_sampled_from\":%s,"
        "\"sizes_sampled\":%zu,\"produce\":{\"settings\":\"enable.idempotence=true acks=all socket.nagle.disable=true\","
        "\"delivered\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"messages_per_s\":%.1f,\"mib_per_s\":%.2f},"
        "\"consume\":{\"settings\":\"isolation.level=read_committed\",\"consumed\":%ld,\"seconds\":%.3f,"
        "\"messages_per_s\":%.1f,\"mib_per_s\":%.2f},\"passthrough\":%s,\"librdkafka\":\"%s\"}\n",
        o.messages, o.partitions, o.key_bytes, o.value_bytes,
        o.size_from_topic.empty() ? "null" : ("\"" + o.size_from_topic + "\"").c_str(), sampled, state.delivered,
        state.failed, produce_s, state.delivered / produce_s, state.delivered * bytes / produce_s / 1048576.0,
        consumed, consume_s, consume_s > 0 ? consumed / consume_s : 0.0,
        consume_s > 0 ? consumed * bytes / consume_s / 1048576.0 : 0.0, passthrough.c_str(), rd_kafka_version_str());
    return state.failed == 0 && consumed == state.delivered ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "kafka_raw_bench: " << e.what() << std::endl;
    return 1;
  }
}
