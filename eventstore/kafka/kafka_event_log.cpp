#include "eventstore/kafka/kafka_event_log.h"

#include <librdkafka/rdkafka.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "eventstore/embedded/key_codec.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/topic_admin.h"
#include "eventstore/kafka/committed_tail.h"
#include "eventstore/kafka/tail_follower.h"
#include "eventstore/kafka/group_commit.h"
#include "eventstore/kafka/log_record_of.h"

namespace orderline::eventstore {
namespace {

using Clock = std::chrono::steady_clock;

// Index keys (one RocksDB column family, prefixed):
//   's' stream_id '\0' version(8)   -> partition(4) offset(8) log_time_us(8) envelope
//   'o' command_id                  -> v1::CommandOutcome
//   'c' 'e'|'o' partition(4)        -> next offset of that topic's partition already indexed
//   'm' "identity"                  -> the topics and partition count the index belongs to
constexpr char kIdentityKey[] = "midentity";

std::string stream_key_prefix(std::string_view stream_id) {
  std::string key = "s";
  key += stream_id;
  key.push_back('\0');
  return key;
}

std::string stream_key(std::string_view stream_id, std::uint64_t version) {
  std::string key = stream_key_prefix(stream_id);
  codec::put_u64(key, version);
  return key;
}

std::string outcome_key(std::string_view command_id) {
  std::string key = "o";
  key += command_id;
  return key;
}

std::string checkpoint_key(char topic_kind, std::uint32_t partition) {
  std::string key = "c";
  key.push_back(topic_kind);
  codec::put_u32(key, partition);
  return key;
}

std::string stream_value(std::uint32_t partition, std::uint64_t offset, std::int64_t log_time_us,
                         std::string_view envelope) {
  std::string value;
  value.reserve(20 + envelope.size());
  codec::put_u32(value, partition);
  codec::put_u64(value, offset);
  codec::put_u64(value, static_cast<std::uint64_t>(log_time_us));
  value += envelope;
  return value;
}

std::string u64_value(std::uint64_t v) {
  std::string value;
  codec::put_u64(value, v);
  return value;
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.3g} s", static_cast<double>(d.count()) / 1000.0);
}

void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // syslog levels: 3 error, 4 warning, 5 notice, 6 info, 7 debug.
  const auto spd = level <= 3 ? spdlog::level::err
                   : level == 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  spdlog::log(spd, "librdkafka {} {}: {}", rd_kafka_name(rk), facility, message);
}

// The producer's also go to its context (warnings and errors), for the message of a failed start.
// Facility ERROR lines are librdkafka's error events, which sum up ("1/1 brokers are down")
// what a FAIL line before them said with its cause.
void producer_log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  if (level <= 4) {
    auto& last_error = static_cast<KafkaEventLog::ProducerContext*>(rd_kafka_opaque(rk))->last_error;
    if (std::string_view(facility) == "ERROR") last_error.set_summary(message);
    else last_error.set(message);
  }
  log_callback(rk, level, facility, message);
}

// Orderline's own settings; the pass-through ones (TLS, SASL, ...) follow at each client.
void base_conf(ClientConf& conf, const KafkaLogOptions& options, const std::string& client_id) {
  conf.set("bootstrap.servers", options.brokers);
  conf.set("client.id", client_id);
  conf.set("socket.nagle.disable", "true");
  // Brokers close idle connections after 10 minutes; that is not worth an error line.
  conf.set("log.connection.close", "false");
  rd_kafka_conf_set_log_cb(conf.get(), log_callback);
}

LogError error_kind(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:  // the broker's answer to an over-size batch, sometimes
      return LogError::too_large;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
      return LogError::unavailable;
    default:
      return LogError::io_error;
  }
}

}  // namespace

struct KafkaEventLog::Clients {
  // Transactional producer; also serves metadata and admin requests.
  rd_kafka_t* producer = nullptr;
  // read_committed consumer for read() and catch-up, used under read_mutex_ only.
  rd_kafka_t* reader = nullptr;
  // read_committed consumer that is never assigned: its ListOffsets requests report last
  // stable offsets (the isolation level decides which end the broker answers), and
  // rd_kafka_offsets_for_times() is thread-safe, so end_offset() needs no lock.
  rd_kafka_t* offsets = nullptr;

  ~Clients() {
    if (reader != nullptr) {
      rd_kafka_consumer_close(reader);
      rd_kafka_destroy(reader);
    }
    if (offsets != nullptr) rd_kafka_destroy(offsets);
    if (producer != nullptr) rd_kafka_destroy(producer);
  }
};

// What the delivery reports of one append said; filled by the callback, which librdkafka
// runs inside rd_kafka_flush() on the appending thread.
struct KafkaEventLog::Delivery {
  // Which append these reports belong to: a purged message of an aborted append may report
  // late, during a later append's flush, and must not count there.
  std::uint32_t generation = 0;
  std::vector<std::int64_t> offsets;  // per message, -1 until reported
  std::vector<std::int64_t> times_ms;
  std::vector<rd_kafka_timestamp_type_t> time_types;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string error_detail;
};

struct KafkaEventLog::ReadState {
  // The reader's current single-partition assignment of the events topic (-1: none) and the
  // offset its next message will have, so sequential reads keep librdkafka's prefetch.
  int assigned = -1;
  std::uint64_t next = 0;
  // Next offset to index, per partition: 'e' events, 'o' outcomes (mirrors the 'c' keys).
  std::vector<std::uint64_t> events_indexed;
  std::vector<std::uint64_t> outcomes_indexed;
};

namespace {

void delivery_callback(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* delivery = static_cast<KafkaEventLog::ProducerContext*>(opaque)->delivery;
  if (delivery == nullptr) return;
  // The message opaque is generation << 32 | index within the append.
  const auto tag = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(message->_private));
  if (static_cast<std::uint32_t>(tag >> 32) != delivery->generation) return;
  const auto index = static_cast<std::size_t>(tag & 0xffffffffu);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The first cause wins; a purge only follows another failure, so any other error
    // explains more than it does.
    const auto purged = [](rd_kafka_resp_err_t err) {
      return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    };
    if (delivery->error == RD_KAFKA_RESP_ERR_NO_ERROR || (purged(delivery->error) && !purged(message->err))) {
      delivery->error = message->err;
      delivery->error_detail = fmt::format("delivery to {} [{}] failed: {}", rd_kafka_topic_name(message->rkt),
                                           message->partition, rd_kafka_err2str(message->err));
    }
    return;
  }
  if (index >= delivery->offsets.size()) return;
  delivery->offsets[index] = message->offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  delivery->times_ms[index] = rd_kafka_message_timestamp(message, &type);
  delivery->time_types[index] = type;
}

}  // namespace

KafkaEventLog::KafkaEventLog(KafkaLogOptions options)
    : options_(std::move(options)),
      partitions_(options_.partitions),
      events_topic_(options_.topic_prefix + ".events"),
      outcomes_topic_(options_.topic_prefix + ".outcomes"),
      clients_(std::make_unique<Clients>()),
      read_state_(std::make_unique<ReadState>()),
      known_ends_(std::make_unique<std::atomic<std::uint64_t>[]>(options_.partitions)),
      group_commit_(std::make_unique<GroupCommit<TransactionPart>>(options_.max_transaction_parts)) {
  if (options_.brokers.empty()) throw std::runtime_error("kafka event log: no brokers given");
  if (options_.state_dir.empty()) throw std::runtime_error("kafka event log: state_dir is required (the local index)");
  if (partitions_ == 0 || partitions_ > 1024) throw std::runtime_error("kafka event log: partitions must be 1..1024");
  if (options_.topic_prefix.empty()) throw std::runtime_error("kafka event log: topic_prefix must not be empty");
  if (options_.transactional_id.empty()) options_.transactional_id = options_.topic_prefix + ".event-log";
  const int connect_ms = static_cast<int>(options_.connect_timeout.count());

  clients_->producer = new_producer();

  // Reachability first, so an unreachable cluster fails here, within connect_timeout, with
  // the address in the message (librdkafka itself would retry forever).
  const rd_kafka_metadata_t* metadata = nullptr;
  auto err = rd_kafka_metadata(clients_->producer, 0, nullptr, &metadata, connect_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(fmt::format("kafka event log: cannot reach Kafka at {} within {}: {}{}",
                                         options_.brokers, seconds(options_.connect_timeout),
                                         rd_kafka_err2str(err), producer_context_.last_error.suffix()));
  }
  rd_kafka_metadata_destroy(metadata);

  ensure_topics();

  if (!options_.read_only) {
    if (auto failure = init_transactions(); !failure.empty()) throw std::runtime_error("kafka event log: " + failure);
  }

  clients_->reader = new_reader("orderline-event-log-reader", false);
  clients_->offsets = new_reader("orderline-event-log-reader", false);
  rd_kafka_poll_set_consumer(clients_->reader);
  learn_topics(clients_->reader);
  learn_topics(clients_->offsets);

  open_index();
  std::lock_guard lock(read_mutex_);
  auto caught_up = catch_up_locked(/*at_open=*/true);
  if (!caught_up) {
    throw std::runtime_error("kafka event log: cannot restore the index from " + options_.brokers + ": " +
                             caught_up.detail);
  }
  if (options_.sole_writer && !options_.read_only) {
    // init_transactions() settled whatever an earlier instance left open, so the last stable
    // offsets the catch-up just read are where our own commits continue from.
    tail_ = std::make_unique<CommittedTail>(partitions_, options_.tail_budget_bytes);
    aborted_since_commit_.assign(partitions_, false);
    for (std::uint32_t p = 0; p < partitions_; ++p) tail_->reset(p, known_ends_[p].load());
  } else if (options_.follow_tail) {
    // From the last stable offsets the catch-up just read: what lies before them is read
    // from the brokers, what follows from memory.
    std::vector<std::uint64_t> ends;
    for (std::uint32_t p = 0; p < partitions_; ++p) ends.push_back(known_ends_[p].load());
    follower_ = std::make_unique<TailFollower>(new_reader("orderline-event-log-follower", /*follower=*/true),
                                               events_topic_, ends, options_.tail_budget_bytes);
  }
}

// A read_committed consumer that assign()s partitions and never joins a group.
rd_kafka_t* KafkaEventLog::new_reader(const std::string& client_id, bool follower) const {
  ClientConf conf("kafka event log");
  base_conf(conf, options_, client_id);
  set_assigning_reader(conf, options_.topic_prefix + ".event-log-reader");
  // librdkafka 2.0 backs a partition's fetching off by fetch.error.backoff.ms after reaching
  // its end (an EOF counts as an error there); the 500 ms default would delay every tail read.
  if (follower) {
    // At the end, the next fetch goes out at once and the broker holds it until a commit
    // moves the last stable offset (its fetch purgatory wakes on the marker's append) or
    // fetch.wait.max.ms passes: new records arrive without a poll interval.
    conf.set("fetch.wait.max.ms", "500");
    conf.set("fetch.error.backoff.ms", "0");
  } else {
    conf.set("fetch.wait.max.ms", "50");
    conf.set("fetch.error.backoff.ms", "20");
  }
  conf.set("queued.max.messages.kbytes", "16384");
  conf.set_all(options_.client_config);  // TLS, SASL, ... after our own settings
  return conf.create(RD_KAFKA_CONSUMER);
}

rd_kafka_t* KafkaEventLog::new_producer() {
  ClientConf conf("kafka event log");
  base_conf(conf, options_, "orderline-event-log");
  if (!options_.read_only) {
    conf.set("transactional.id", options_.transactional_id);
    conf.set("transaction.timeout.ms", std::to_string(options_.transaction_timeout.count()));
  }
  conf.set("enable.idempotence", "true");
  conf.set("acks", "all");
  conf.set("message.max.bytes", std::to_string(options_.max_message_bytes));
  // append() flushes right after producing, so lingering would only add latency.
  conf.set("linger.ms", "0");
  conf.set_all(options_.client_config);  // TLS, SASL, ... after our own settings
  rd_kafka_conf_set_dr_msg_cb(conf.get(), delivery_callback);
  rd_kafka_conf_set_log_cb(conf.get(), producer_log_callback);
  rd_kafka_conf_set_opaque(conf.get(), &producer_context_);
  // A read-only log's producer only asks for metadata and is never polled (see kafka_statistics.h).
  if (!options_.read_only) enable_kafka_statistics(conf.get(), options_.statistics_interval);
  return conf.create(RD_KAFKA_PRODUCER);
}

// Also fences any earlier producer with our transactional.id and completes (aborts) its
// unfinished transaction, markers included, before it returns.
std::string KafkaEventLog::init_transactions() {
  auto* error = rd_kafka_init_transactions(clients_->producer, static_cast<int>(options_.connect_timeout.count()));
  if (error == nullptr) return {};
  std::string failure = fmt::format("cannot initialise transactions (transactional.id {}) at {}: {}{}",
                                    options_.transactional_id, options_.brokers, rd_kafka_error_string(error),
                                    producer_context_.last_error.suffix());
  rd_kafka_error_destroy(error);
  return failure;
}

// After an abort whose messages the broker refused (or an abort that did not finish), the
// idempotent producer's sequence numbers or transaction state can be left in doubt;
// librdkafka 2.0 then fails the *next* transaction ("skipped sequence numbers, requires
// epoch bump"). A new producer with the same transactional.id starts clean: its
// init_transactions bumps the epoch and aborts whatever the old one left open. Never after
// a fatal error: a fenced instance must stay fenced, not fence its successor back.
// A client that first meets a topic in producev(), assign() or ListOffsets learns its
// leaders on the next metadata refresh, about a second later; asking now makes the first
// use immediate.
void KafkaEventLog::learn_topics(rd_kafka_t* client) const {
  for (const auto* topic : {&events_topic_, &outcomes_topic_}) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic->c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(client, 0, handle, &metadata, static_cast<int>(options_.connect_timeout.count())) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
  }
}

std::string KafkaEventLog::missing_topics() const {
  std::string missing;
  for (const auto* topic : {&events_topic_, &outcomes_topic_}) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(clients_->offsets, topic->c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(clients_->offsets, 0, handle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        missing += fmt::format("topic {} does not exist (deleted while the log ran?); ", *topic);
      }
      rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
  }
  return missing;
}

bool KafkaEventLog::replace_producer() {
  rd_kafka_destroy(clients_->producer);
  clients_->producer = new_producer();
  learn_topics(clients_->producer);
  if (auto failure = init_transactions(); !failure.empty()) {
    spdlog::error("kafka event log: {}", failure);
    producer_in_doubt_ = true;  // tried again before the next append
    return false;
  }
  producer_in_doubt_ = false;
  return true;
}

KafkaEventLog::~KafkaEventLog() {
  clients_.reset();
  if (index_) index_->Close();
}

void KafkaEventLog::ensure_topics() {
  const int connect_ms = static_cast<int>(options_.connect_timeout.count());
  // Partition count of a topic, or -1 when it does not exist; `ready` when every partition
  // has a leader (a just-created topic has none for a moment).
  auto describe = [&](const std::string& topic, bool& ready) -> int {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(clients_->producer, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    auto err = rd_kafka_metadata(clients_->producer, 0, handle, &metadata, connect_ms);
    rd_kafka_topic_destroy(handle);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error(fmt::format("kafka event log: cannot read metadata of {} from {}: {}", topic,
                                           options_.brokers, rd_kafka_err2str(err)));
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
  };

  std::vector<rd_kafka_NewTopic_t*> missing;
  auto add = [&](const std::string& topic, const std::vector<std::pair<std::string, std::string>>& configs) {
    char errstr[512];
    auto* new_topic = rd_kafka_NewTopic_new(topic.c_str(), static_cast<int>(partitions_),
                                            options_.replication_factor, errstr, sizeof errstr);
    if (new_topic == nullptr) throw std::runtime_error("kafka event log: cannot describe topic " + topic + ": " + errstr);
    for (const auto& [name, value] : configs) rd_kafka_NewTopic_set_config(new_topic, name.c_str(), value.c_str());
    missing.push_back(new_topic);
  };
  bool ready = false;
  if (describe(events_topic_, ready) < 0) {
    add(events_topic_, events_topic_configs());
  }
  if (describe(outcomes_topic_, ready) < 0) {
    add(outcomes_topic_, outcomes_topic_configs());
  }
  if (!missing.empty()) {
    auto* admin_options = rd_kafka_AdminOptions_new(clients_->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    char errstr[512];
    rd_kafka_AdminOptions_set_request_timeout(admin_options, connect_ms, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(admin_options, connect_ms, errstr, sizeof errstr);
    auto* queue = rd_kafka_queue_new(clients_->producer);
    rd_kafka_CreateTopics(clients_->producer, missing.data(), missing.size(), admin_options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, connect_ms + 2000);
    std::string failure;
    if (event == nullptr) {
      failure = "no answer within " + seconds(options_.connect_timeout);
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = rd_kafka_event_error_string(event);
    } else {
      std::size_t count = 0;
      const auto** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
      for (std::size_t i = 0; i < count; ++i) {
        const auto err = rd_kafka_topic_result_error(results[i]);
        // Another instance may have created it a moment ago: the count check below decides.
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
        const char* detail = rd_kafka_topic_result_error_string(results[i]);
        failure += fmt::format("{}{}: {}", failure.empty() ? "" : "; ", rd_kafka_topic_result_name(results[i]),
                               detail != nullptr ? detail : rd_kafka_err2str(err));
      }
    }
    if (event != nullptr) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(admin_options);
    rd_kafka_NewTopic_destroy_array(missing.data(), missing.size());
    if (!failure.empty()) {
      throw std::runtime_error(fmt::format("kafka event log: cannot create topics at {}: {}", options_.brokers, failure));
    }
    spdlog::info("kafka event log: created topics {} and {} with {} partitions", events_topic_, outcomes_topic_,
                 partitions_);
  }

  // Both topics must exist with the configured count and have leaders before the first
  // append or restore; creation propagates to the metadata within moments.
  const auto deadline = Clock::now() + options_.connect_timeout;
  for (;;) {
    bool events_ready = false, outcomes_ready = false;
    const int events = describe(events_topic_, events_ready);
    const int outcomes = describe(outcomes_topic_, outcomes_ready);
    if (events >= 0 && outcomes >= 0 && events != outcomes) {
      throw std::runtime_error(fmt::format(
          "kafka event log: topic {} has {} partitions but {} has {}; events and outcomes must be co-partitioned "
          "(DESIGN rule 1)",
          events_topic_, events, outcomes_topic_, outcomes));
    }
    for (const auto& [topic, count] : {std::pair{events_topic_, events}, std::pair{outcomes_topic_, outcomes}}) {
      if (count >= 0 && static_cast<std::uint32_t>(count) != partitions_) {
        throw std::runtime_error(fmt::format(
            "kafka event log: topic {} has {} partitions but the log is configured for {}; the count is fixed "
            "once the topic exists (use the topic's count or another topic prefix)",
            topic, count, partitions_));
      }
    }
    if (events_ready && outcomes_ready) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("kafka event log: topics {} and {} at {} have no leader after {}",
                                           events_topic_, outcomes_topic_, options_.brokers,
                                           seconds(options_.connect_timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void KafkaEventLog::open_index() {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  const std::string identity = fmt::format("{}|{}|{}", events_topic_, outcomes_topic_, partitions_);

  auto open = [&] {
    rocksdb::DB* raw = nullptr;
    auto status = rocksdb::DB::Open(db_options, options_.state_dir, &raw);
    if (!status.ok()) {
      throw std::runtime_error("kafka event log: cannot open the index at " + options_.state_dir + ": " +
                               status.ToString());
    }
    index_.reset(raw);
  };
  open();

  // Last stable offsets now: an index that claims more than the topic holds belongs to a
  // deleted and re-created topic (or another cluster) and is rebuilt.
  auto ends_events = stable_offsets(events_topic_);
  auto ends_outcomes = stable_offsets(outcomes_topic_);
  if (!ends_events || !ends_outcomes) {
    throw std::runtime_error("kafka event log: cannot read end offsets from " + options_.brokers + ": " +
                             (!ends_events ? ends_events.detail : ends_outcomes.detail));
  }
  auto& state = *read_state_;
  state.events_indexed.assign(partitions_, 0);
  state.outcomes_indexed.assign(partitions_, 0);
  std::string stored;
  bool rebuild = false;
  auto status = index_->Get(rocksdb::ReadOptions(), kIdentityKey, &stored);
  if (status.ok() && stored == identity) {
    for (std::uint32_t p = 0; p < partitions_; ++p) {
      for (auto [kind, checkpoints, ends] : {std::tuple{'e', &state.events_indexed, &*ends_events.value},
                                             std::tuple{'o', &state.outcomes_indexed, &*ends_outcomes.value}}) {
        if (index_->Get(rocksdb::ReadOptions(), checkpoint_key(kind, p), &stored).ok() && stored.size() == 8) {
          (*checkpoints)[p] = codec::get_u64(stored);
          if ((*checkpoints)[p] > (*ends)[p]) rebuild = true;
        }
      }
    }
    if (rebuild) spdlog::warn("kafka event log: the index at {} is ahead of the topics; rebuilding it", options_.state_dir);
  } else if (status.ok()) {
    spdlog::warn("kafka event log: the index at {} belongs to {}, not {}; rebuilding it", options_.state_dir, stored,
                 identity);
    rebuild = true;
  } else if (!status.IsNotFound()) {
    throw std::runtime_error("kafka event log: cannot read the index at " + options_.state_dir + ": " +
                             status.ToString());
  }
  if (rebuild) {
    index_->Close();
    index_.reset();
    auto destroyed = rocksdb::DestroyDB(options_.state_dir, db_options);
    if (!destroyed.ok()) {
      throw std::runtime_error("kafka event log: cannot clear the index at " + options_.state_dir + ": " +
                               destroyed.ToString());
    }
    open();
    state.events_indexed.assign(partitions_, 0);
    state.outcomes_indexed.assign(partitions_, 0);
  }
  rocksdb::WriteOptions write;
  write.sync = true;
  index_->Put(write, kIdentityKey, identity);
}

LogResult<std::vector<std::int64_t>> KafkaEventLog::list_offsets(
    const std::string& topic, const std::vector<std::pair<std::uint32_t, std::int64_t>>& queries,
    std::chrono::milliseconds timeout) const {
  using R = LogResult<std::vector<std::int64_t>>;
  // A just-created topic, or a leader moving, answers "not leader" for a moment; those are
  // retried within the request timeout, anything else is the answer.
  auto retriable = [](rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
           err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE ||
           err == RD_KAFKA_RESP_ERR__TRANSPORT;
  };
  const auto deadline = Clock::now() + (timeout.count() > 0 ? timeout : options_.request_timeout);
  for (;;) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(queries.size()));
    for (const auto& [partition, timestamp] : queries) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), static_cast<std::int32_t>(partition))->offset = timestamp;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto err = rd_kafka_offsets_for_times(clients_->offsets, list, static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
    std::vector<std::int64_t> offsets;
    std::int32_t failed_partition = -1;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          err = list->elems[i].err;
          failed_partition = list->elems[i].partition;
          break;
        }
        offsets.push_back(list->elems[i].offset);
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return R::ok(std::move(offsets));
    if (!retriable(err) || Clock::now() + std::chrono::milliseconds(50) >= deadline) {
      return R::fail(error_kind(err), fmt::format("offsets of {}{} from {}: {}", topic,
                                                  failed_partition >= 0 ? fmt::format(" [{}]", failed_partition) : "",
                                                  options_.brokers, rd_kafka_err2str(err)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

LogResult<std::vector<std::uint64_t>> KafkaEventLog::stable_offsets(const std::string& topic,
                                                                    std::chrono::milliseconds timeout) const {
  using R = LogResult<std::vector<std::uint64_t>>;
  // ListOffsets with timestamp -1 (latest) from a read_committed client: the broker answers
  // the last stable offset, not the high watermark.
  std::vector<std::pair<std::uint32_t, std::int64_t>> queries;
  for (std::uint32_t p = 0; p < partitions_; ++p) queries.emplace_back(p, RD_KAFKA_OFFSET_END);
  auto offsets = list_offsets(topic, queries, timeout);
  if (!offsets) return R::fail(offsets.error, "end " + offsets.detail);
  std::vector<std::uint64_t> ends;
  for (const auto offset : *offsets.value) ends.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(offset, 0)));
  if (topic == events_topic_) {
    for (std::uint32_t p = 0; p < partitions_; ++p) known_ends_[p].store(ends[p]);
  }
  return R::ok(std::move(ends));
}

LogResult<bool> KafkaEventLog::catch_up_locked(bool at_open) const {
  using R = LogResult<bool>;
  auto& state = *read_state_;
  auto ends_events = stable_offsets(events_topic_);
  if (!ends_events) return R::fail(ends_events.error, ends_events.detail);
  auto ends_outcomes = stable_offsets(outcomes_topic_);
  if (!ends_outcomes) return R::fail(ends_outcomes.error, ends_outcomes.detail);
  // Clear the flag before reading: a staleness that arises during the catch-up sets it again.
  index_stale_.store(false);

  struct Target {
    bool events;
    std::uint32_t partition;
    std::uint64_t end;
    bool done;
  };
  std::vector<Target> targets;
  std::uint64_t total = 0;
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(2 * partitions_));
  for (std::uint32_t p = 0; p < partitions_; ++p) {
    for (bool events : {true, false}) {
      const std::uint64_t from = events ? state.events_indexed[p] : state.outcomes_indexed[p];
      const std::uint64_t end = events ? (*ends_events.value)[p] : (*ends_outcomes.value)[p];
      if (from >= end) continue;
      targets.push_back({events, p, end, false});
      total += end - from;
      rd_kafka_topic_partition_list_add(list, (events ? events_topic_ : outcomes_topic_).c_str(),
                                        static_cast<std::int32_t>(p))->offset = static_cast<std::int64_t>(from);
    }
  }
  if (targets.empty()) {
    rd_kafka_topic_partition_list_destroy(list);
    return R::ok(true);
  }
  auto err = rd_kafka_assign(clients_->reader, list);
  rd_kafka_topic_partition_list_destroy(list);
  state.assigned = -1;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return R::fail(LogError::io_error, std::string("cannot assign partitions for the restore: ") + rd_kafka_err2str(err));
  }
  if (at_open) {
    spdlog::info("kafka event log: restoring the index from {} and {}: up to {} records", events_topic_,
                 outcomes_topic_, total);
  }

  std::size_t remaining = targets.size();
  std::uint64_t indexed = 0;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> bool {
    for (std::uint32_t p = 0; p < partitions_; ++p) {
      batch.Put(checkpoint_key('e', p), u64_value(state.events_indexed[p]));
      batch.Put(checkpoint_key('o', p), u64_value(state.outcomes_indexed[p]));
    }
    auto status = index_->Write(rocksdb::WriteOptions(), &batch);
    batch.Clear();
    return status.ok();
  };
  auto find = [&](bool events, std::uint32_t p) -> Target* {
    for (auto& t : targets) {
      if (t.events == events && t.partition == p) return &t;
    }
    return nullptr;
  };
  auto last_data = Clock::now();
  auto last_progress = Clock::now();
  std::string failure;
  LogError failure_kind = LogError::io_error;
  v1::CommandOutcome outcome;
  v1::EventEnvelope envelope;
  while (remaining > 0) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(clients_->reader, 100);
    const auto now = Clock::now();
    if (message == nullptr) {
      if (now - last_data > options_.restore_stall_timeout) {
        failure_kind = LogError::unavailable;
        failure = fmt::format("restore stalled: nothing from {} for {} with {} partitions still behind",
                              options_.brokers, seconds(options_.restore_stall_timeout), remaining);
        break;
      }
      continue;
    }
    last_data = now;
    const bool events = message->rkt != nullptr && events_topic_ == rd_kafka_topic_name(message->rkt);
    const auto p = static_cast<std::uint32_t>(message->partition);
    Target* target = message->rkt != nullptr && p < partitions_ ? find(events, p) : nullptr;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Transport hiccups are retried by librdkafka; anything partition-specific is final.
      const bool transient = message->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                             message->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
      if (!transient) {
        failure = fmt::format("restore read failed at {} [{}]: {}",
                              message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "-", message->partition,
                              rd_kafka_message_errstr(message));
        rd_kafka_message_destroy(message);
        break;
      }
      spdlog::warn("kafka event log: restore: {}", rd_kafka_message_errstr(message));
      rd_kafka_message_destroy(message);
      continue;
    }
    if (target == nullptr || target->done) {
      rd_kafka_message_destroy(message);
      continue;
    }
    auto& checkpoint = events ? state.events_indexed[p] : state.outcomes_indexed[p];
    const auto offset = static_cast<std::uint64_t>(message->offset);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The fetch position reached the last stable offset: every committed record before it
      // has been delivered (messages and this event arrive in order).
      checkpoint = std::max(checkpoint, offset);
    } else if (offset >= checkpoint) {
      if (events) {
        rd_kafka_timestamp_type_t type;
        const std::int64_t time_ms = rd_kafka_message_timestamp(message, &type);
        if (!envelope.ParseFromArray(message->payload, static_cast<int>(message->len))) {
          failure_kind = LogError::corrupt;
          failure = fmt::format("undecodable event at {} [{}] offset {}", events_topic_, p, offset);
          rd_kafka_message_destroy(message);
          break;
        }
        batch.Put(stream_key(envelope.stream_id(), envelope.stream_version()),
                  stream_value(p, offset, time_ms * 1000,
                               std::string_view(static_cast<const char*>(message->payload), message->len)));
      } else {
        if (!outcome.ParseFromArray(message->payload, static_cast<int>(message->len))) {
          failure_kind = LogError::corrupt;
          failure = fmt::format("undecodable outcome at {} [{}] offset {}", outcomes_topic_, p, offset);
          rd_kafka_message_destroy(message);
          break;
        }
        batch.Put(outcome_key(outcome.command_id()),
                  std::string_view(static_cast<const char*>(message->payload), message->len));
      }
      checkpoint = offset + 1;
      ++indexed;
    }
    rd_kafka_message_destroy(message);
    if (checkpoint >= target->end) {
      target->done = true;
      --remaining;
    }
    if (batch.Count() >= 5000 && !flush()) {
      failure = "cannot write the index at " + options_.state_dir;
      break;
    }
    if (at_open && now - last_progress > std::chrono::seconds(5)) {
      last_progress = now;
      spdlog::info("kafka event log: restoring the index: {} of up to {} records", indexed, total);
    }
  }
  rd_kafka_assign(clients_->reader, nullptr);
  if (!failure.empty()) {
    flush();  // keep what was indexed: the next catch-up resumes from there
    index_stale_.store(true);
    return R::fail(failure_kind, failure);
  }
  if (!flush()) return R::fail(LogError::io_error, "cannot write the index at " + options_.state_dir);
  if (at_open) spdlog::info("kafka event log: index restored ({} records read)", indexed);
  return R::ok(true);
}

LogResult<AppendResult> KafkaEventLog::append(std::uint32_t partition, const AppendBatch& batch) {
  TransactionPart part{partition, &batch, nullptr};
  append_parts_grouped(part);
  return std::move(part.result);
}

LogResult<AppendResult> KafkaEventLog::append_with(std::uint32_t partition, const AppendBatch& batch,
                                                   const TransactionExtras& extras) {
  TransactionPart part{partition, &batch, &extras};
  append_parts_grouped(part);
  return std::move(part.result);
}

void KafkaEventLog::append_parts(std::vector<TransactionPart>& parts) {
  std::vector<TransactionPart*> jobs;
  for (auto& part : parts) jobs.push_back(&part);
  std::lock_guard lock(append_mutex_);
  transact(jobs);
}

void KafkaEventLog::append_parts_grouped(TransactionPart& part) {
  const auto started = Clock::now();
  group_commit_->submit(part, [this](std::vector<TransactionPart*>& jobs) {
    std::lock_guard lock(append_mutex_);
    transact(jobs);
  });
  if (options_.append_observer != nullptr) {
    options_.append_observer->on_append(part.partition, part.batch->records.size(), Clock::now() - started,
                                        part.result.value.has_value());
  }
}

LogResult<bool> KafkaEventLog::restore() {
  std::lock_guard lock(read_mutex_);
  return catch_up_locked(/*at_open=*/false);
}

void KafkaEventLog::prepare_topic(const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(clients_->producer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(clients_->producer, 0, handle, &metadata, static_cast<int>(options_.connect_timeout.count())) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
}

const CommittedTail* KafkaEventLog::memory_tail() const {
  if (tail_) return tail_.get();
  return follower_ ? &follower_->tail() : nullptr;
}

std::uint64_t KafkaEventLog::local_end(std::uint32_t partition) const {
  if (const auto* tail = memory_tail()) {
    if (auto end = tail->end(partition)) return *end;
  }
  return known_ends_[partition].load();
}

// A sole writer's tail (committed_tail.h) is exact again once no transaction of ours is in
// doubt: init_transactions() has completed whatever the old producer left open, markers
// included, so the last stable offsets are final for our partitions.
void KafkaEventLog::revalidate_tail() {
  if (!tail_ || !tail_invalid_) return;
  auto ends = stable_offsets(events_topic_);
  if (!ends) return;  // still invalid; readers keep asking the brokers
  for (std::uint32_t p = 0; p < partitions_; ++p) {
    tail_->reset(p, (*ends.value)[p]);
    aborted_since_commit_[p] = false;
  }
  tail_invalid_ = false;
}

void KafkaEventLog::transact(std::vector<TransactionPart*>& parts) {
  using R = LogResult<AppendResult>;
  std::vector<TransactionPart*> live;
  for (auto* part : parts) {
    if (auto refusal = refuse(*part)) {
      part->result = std::move(*refusal);
    } else if (part->batch->records.empty() && part->batch->outcomes.empty() && part->extras == nullptr) {
      const auto end = end_offset(part->partition);
      part->result = R::ok(AppendResult{end, end, {}});
    } else {
      live.push_back(part);
    }
  }
  if (live.empty()) return;
  if (producer_in_doubt_ && !replace_producer()) {
    for (auto* part : live) {
      part->result = R::fail(LogError::unavailable, "the Kafka producer could not be restarted after a failed "
                                                    "transaction (see the log); the next append tries again");
    }
    return;
  }
  revalidate_tail();
  auto failure = run_transaction(live);
  if (!failure) return;
  // One part's record too large for the broker fails the whole transaction; run the parts
  // alone, so only the batch at fault is refused.
  if (live.size() > 1 && failure->error == LogError::too_large) {
    for (auto* part : live) {
      std::vector<TransactionPart*> one{part};
      if (auto alone = run_transaction(one)) part->result = std::move(*alone);
    }
    return;
  }
  for (auto* part : live) part->result = *failure;
}

std::optional<LogResult<AppendResult>> KafkaEventLog::refuse(const TransactionPart& part) const {
  using R = LogResult<AppendResult>;
  if (options_.read_only) return R::fail(LogError::closed, "this Kafka event log was opened read-only");
  if (!fatal_.empty()) return R::fail(LogError::closed, fatal_);
  if (part.partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  // Check sizes before anything is sent, for a clear message (librdkafka's own check and the
  // broker's stay in force behind this one).
  for (const auto& record : part.batch->records) {
    const std::size_t size = record.key.size() + record.value.size();
    if (size > options_.max_message_bytes) {
      return R::fail(LogError::too_large,
                     fmt::format("event of stream {} is {} bytes; the Kafka event log takes at most {} per record "
                                 "(max_message_bytes); nothing of this batch was written",
                                 record.key, size, options_.max_message_bytes));
    }
  }
  return std::nullopt;
}

// One transaction for every part (librdkafka's examples/transactions.c loop): begin, the
// events of all parts, their delivery reports (the real offsets), the outcomes with those
// positions, the extra records, the consumed offsets, commit. Sets each part's result on
// success; returns the failure, which applies to every part, otherwise.
std::optional<LogResult<AppendResult>> KafkaEventLog::run_transaction(std::vector<TransactionPart*>& parts) {
  using R = LogResult<AppendResult>;
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  auto* producer = clients_->producer;

  // A fatal producer error (fenced by a newer instance with our transactional.id) closes the
  // log for appends, with the reason.
  auto check_fatal = [&]() -> bool {
    if (!fatal_.empty()) return true;
    char reason[512];
    const auto code = rd_kafka_fatal_error(producer, reason, sizeof reason);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    // Only fencing means another instance owns our transactional.id. Any other fatal state
    // (e.g. INVALID_TXN_STATE after the broker restarted in the middle of a transaction) ends
    // this producer, not the log: a new producer with the same id starts clean.
    const bool fenced = code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                        code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
                        code == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    if (!fenced) {
      spdlog::warn("kafka event log: the producer failed ({}); replacing it before the next transaction", reason);
      producer_in_doubt_ = true;
      mark_tail_in_doubt();
      return false;
    }
    fatal_ = fmt::format("this Kafka event log can no longer append: {} (another instance with transactional.id {} "
                         "took over, or the producer failed for good)",
                         reason, options_.transactional_id);
    spdlog::error("kafka event log: {}", fatal_);
    mark_tail_in_doubt();
    return true;
  };
  auto take_error = [&](rd_kafka_error_t* error, const char* step) {
    std::string detail = fmt::format("kafka {} failed: {}", step, rd_kafka_error_string(error));
    const LogError kind = error_kind(rd_kafka_error_code(error));
    rd_kafka_error_destroy(error);
    if (check_fatal()) return R::fail(LogError::closed, fatal_);
    return R::fail(kind, std::move(detail));
  };
  // Aborts the open transaction; `refused` says the broker refused messages of it, after
  // which the producer is replaced (see replace_producer). An aborted transaction leaves
  // the tail exact (its records are never visible); one whose abort failed does not.
  auto abort = [&](R failure, bool refused) -> std::optional<R> {
    producer_context_.delivery = nullptr;
    aborted_.fetch_add(1);
    // The aborted records and the abort marker took offsets we may not have seen.
    for (const auto* part : parts) {
      if (tail_ && !part->batch->records.empty()) aborted_since_commit_[part->partition] = true;
    }
    if (check_fatal()) return R::fail(LogError::closed, failure.detail + "; " + fatal_);
    bool in_doubt = refused;
    if (auto* error = rd_kafka_abort_transaction(producer, timeout_ms)) {
      failure.detail += std::string("; the abort failed too: ") + rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      if (check_fatal()) return R::fail(LogError::closed, failure.detail + "; " + fatal_);
      in_doubt = true;
      index_stale_.store(true);
      mark_tail_in_doubt();
    }
    if (in_doubt) replace_producer();
    return failure;
  };

  if (auto* error = rd_kafka_begin_transaction(producer)) return take_error(error, "begin_transaction");

  // Delivery report slots: the events of every part first, then the outcomes of every part.
  std::vector<std::size_t> event_base(parts.size()), outcome_base(parts.size());
  std::size_t events = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    event_base[i] = events;
    events += parts[i]->batch->records.size();
  }
  std::size_t slots = events;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    outcome_base[i] = slots;
    slots += parts[i]->batch->outcomes.size();
  }
  // A sole writer knows where its records will land: at the tail's decided end, right after
  // the previous commit's marker (unless an abort since then took offsets). Then the outcomes (which carry those positions) go out with the events in one
  // flush instead of after the events' delivery reports, saving a round trip to the
  // transaction coordinator and one to the partition leaders. The reports are checked
  // against the prediction before the commit.
  std::vector<std::uint64_t> predicted(parts.size(), 0);
  bool predict = tail_ != nullptr;
  {
    std::vector<bool> seen(partitions_, false);
    for (std::size_t i = 0; i < parts.size() && predict; ++i) {
      if (parts[i]->batch->records.empty()) continue;
      const auto p = parts[i]->partition;
      const auto next = tail_->end(p);
      if (seen[p] || aborted_since_commit_[p] || !next) predict = false;
      else predicted[i] = *next;
      seen[p] = true;
    }
  }
  Delivery delivery;
  delivery.offsets.assign(slots, -1);
  delivery.times_ms.assign(slots, 0);
  delivery.time_types.assign(slots, RD_KAFKA_TIMESTAMP_NOT_AVAILABLE);
  delivery.generation = ++generation_;
  producer_context_.delivery = &delivery;

  auto produce = [&](const std::string& topic, std::uint32_t partition, const std::string& key,
                     const std::string& value, std::size_t slot) -> rd_kafka_resp_err_t {
    return rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(partition)),
                             RD_KAFKA_V_KEY(key.data(), key.size()),
                             RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(
                                 (std::uint64_t{delivery.generation} << 32) | slot))),
                             RD_KAFKA_V_END);
  };
  // Waits for every delivery report so far; the reports carry offsets and log times.
  auto deliver = [&](std::size_t upto, const char* what) -> std::optional<R> {
    const auto flushed = rd_kafka_flush(producer, timeout_ms);
    if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return abort(R::fail(error_kind(delivery.error), missing_topics() + delivery.error_detail), true);
    }
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // librdkafka keeps messages for a topic it cannot find until they time out; the
      // likeliest cause worth naming is a topic that is gone.
      return abort(R::fail(LogError::unavailable,
                           fmt::format("{}{} not acknowledged by {} within {}", missing_topics(), what,
                                       options_.brokers, seconds(options_.request_timeout))),
                   true);
    }
    for (std::size_t i = 0; i < upto; ++i) {
      if (delivery.offsets[i] < 0) return abort(R::fail(LogError::io_error, std::string(what) + ": no delivery report"), true);
    }
    return std::nullopt;
  };

  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& records = parts[i]->batch->records;
    for (std::size_t k = 0; k < records.size(); ++k) {
      const auto& record = records[k];
      if (auto err = produce(events_topic_, parts[i]->partition, record.key, record.value, event_base[i] + k);
          err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return abort(R::fail(error_kind(err), fmt::format("cannot produce an event of stream {} ({} bytes) to {}: {}",
                                                          record.key, record.key.size() + record.value.size(),
                                                          events_topic_, rd_kafka_err2str(err))),
                     false);
      }
    }
  }
  if (events > 0 && !predict) {
    if (auto failed = deliver(events, "events")) return failed;
  }

  // Outcomes carry positions; with the events' real offsets known, translate the writer's
  // predicted ones (see AppendBatch::predicted_first_offset).
  std::vector<std::vector<v1::CommandOutcome>> outcomes(parts.size());
  std::vector<AppendResult> results(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& batch = *parts[i]->batch;
    const auto partition = parts[i]->partition;
    const std::size_t n = batch.records.size();
    const auto offset_of = [&](std::size_t k) {
      return predict ? predicted[i] + k : static_cast<std::uint64_t>(delivery.offsets[event_base[i] + k]);
    };
    auto& result = results[i];
    if (n > 0) {
      result.first_offset = offset_of(0);
      result.end_offset = offset_of(n - 1) + 1;
    } else {
      // No events: no marker in the events partition; the position is where it stands.
      result.first_offset = result.end_offset = local_end(partition);
    }
    outcomes[i] = batch.outcomes;
    for (auto& outcome : outcomes[i]) {
      if (batch.predicted_first_offset && n > 0 && outcome.partition() == partition &&
          outcome.offset() >= *batch.predicted_first_offset) {
        const std::uint64_t k = outcome.offset() - *batch.predicted_first_offset;
        if (k == 0) outcome.set_offset(result.first_offset);
        else if (k <= n) outcome.set_offset(offset_of(k - 1) + 1);
      }
      result.outcome_offsets.push_back(outcome.offset());
    }
  }
  std::string bytes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    for (std::size_t j = 0; j < outcomes[i].size(); ++j) {
      const auto& outcome = outcomes[i][j];
      outcome.SerializeToString(&bytes);
      if (auto err = produce(outcomes_topic_, parts[i]->partition, outcome.command_id(), bytes, outcome_base[i] + j);
          err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return abort(R::fail(error_kind(err), fmt::format("cannot produce the outcome of command {} to {}: {}",
                                                          outcome.command_id(), outcomes_topic_, rd_kafka_err2str(err))),
                     false);
      }
    }
  }
  if (predict ? slots > 0 : slots > events) {
    if (auto failed = deliver(slots, predict ? "events and outcomes" : "outcomes")) return failed;
  }
  if (predict) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      for (std::size_t k = 0; k < parts[i]->batch->records.size(); ++k) {
        const auto got = static_cast<std::uint64_t>(delivery.offsets[event_base[i] + k]);
        if (got == predicted[i] + k) continue;
        // Someone else wrote the partition, or we lost count: the outcomes' positions are
        // wrong, so this transaction must not commit. Abort it and run it again the slow way.
        spdlog::warn("kafka event log: {} [{}] put a record at offset {}, not at the predicted {}; retrying the "
                     "transaction without prediction",
                     events_topic_, parts[i]->partition, got, predicted[i] + k);
        auto aborted = abort(R::fail(LogError::io_error, "offsets differed from the prediction"), false);
        if (aborted->error == LogError::closed || producer_in_doubt_) return aborted;
        return run_transaction(parts);
      }
    }
  }

  // The extra records (replies); their delivery is not awaited: commit_transaction flushes,
  // and fails if any failed.
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto* extras = parts[i]->extras;
    if (extras == nullptr || !extras->records) continue;
    for (const auto& extra : extras->records(results[i])) {
      auto err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(extra.topic.c_str()), RD_KAFKA_V_PARTITION(extra.partition),
                                   RD_KAFKA_V_KEY(extra.key.data(), extra.key.size()),
                                   RD_KAFKA_V_VALUE(const_cast<char*>(extra.value.data()), extra.value.size()),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(
                                       (std::uint64_t{delivery.generation} << 32) | 0xffffffffu))),
                                   RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return abort(R::fail(error_kind(err), fmt::format("cannot produce a record to {} [{}]: {}", extra.topic,
                                                          extra.partition, rd_kafka_err2str(err))),
                     false);
      }
    }
  }
  // The consumed offsets of every part, in one request (all parts come from one consumer:
  // one group).
  const rd_kafka_consumer_group_metadata_t* group = nullptr;
  auto* offsets = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (const auto* part : parts) {
    if (part->extras == nullptr || part->extras->offsets == nullptr || part->extras->group == nullptr) continue;
    group = part->extras->group;
    const auto* list = part->extras->offsets;
    for (int e = 0; e < list->cnt; ++e) {
      rd_kafka_topic_partition_list_add(offsets, list->elems[e].topic, list->elems[e].partition)->offset =
          list->elems[e].offset;
    }
  }
  if (group != nullptr && offsets->cnt > 0) {
    if (auto* error = rd_kafka_send_offsets_to_transaction(producer, offsets, group, timeout_ms)) {
      rd_kafka_topic_partition_list_destroy(offsets);
      // A stale group generation (the partitions moved to another processor) lands here too:
      // the transaction must not commit, whatever the error.
      auto failed = take_error(error, "send_offsets_to_transaction");
      if (failed.error == LogError::closed) return failed;
      return abort(std::move(failed), false);
    }
  }
  rd_kafka_topic_partition_list_destroy(offsets);

  // Commit. A retriable error may be retried; one that requires an abort aborts; anything
  // else leaves the outcome unknown, so the index catches up from the topics before its next
  // answer.
  const auto deadline = Clock::now() + options_.request_timeout;
  for (;;) {
    rd_kafka_error_t* error = rd_kafka_commit_transaction(producer, timeout_ms);
    if (error == nullptr) {
      committed_.fetch_add(1);
      break;
    }
    if (rd_kafka_error_is_retriable(error) && Clock::now() < deadline) {
      rd_kafka_error_destroy(error);
      continue;
    }
    if (rd_kafka_error_txn_requires_abort(error)) {
      auto failed = take_error(error, "commit_transaction");
      return abort(std::move(failed), true);
    }
    index_stale_.store(true);
    producer_context_.delivery = nullptr;
    unknown_.fetch_add(1);
    mark_tail_in_doubt();
    auto failed = take_error(error, "commit_transaction (the transaction may or may not have committed)");
    if (failed.error != LogError::closed) producer_in_doubt_ = true;
    return failed;
  }
  producer_context_.delivery = nullptr;

  for (std::size_t s = 0; s < events; ++s) {
    if (delivery.time_types[s] != RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME) {
      // The topic was created with LogAppendTime; anything else means someone changed it.
      spdlog::warn("kafka event log: {} does not use LogAppendTime (delivery timestamp type {})", events_topic_,
                   static_cast<int>(delivery.time_types[s]));
      break;
    }
  }
  auto indexed = index_parts(parts, event_base, outcome_base, delivery, outcomes);
  if (!indexed) {
    // Committed in Kafka, so the append succeeded; the index catches up later.
    spdlog::warn("kafka event log: cannot index a committed batch: {}", indexed.detail);
    index_stale_.store(true);
  }
  if (tail_) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& records = parts[i]->batch->records;
      if (records.empty()) continue;
      aborted_since_commit_[parts[i]->partition] = false;
      std::vector<LogRecord> committed;
      committed.reserve(records.size());
      for (std::size_t k = 0; k < records.size(); ++k) {
        const auto slot = event_base[i] + k;
        committed.push_back(LogRecord{parts[i]->partition, static_cast<std::uint64_t>(delivery.offsets[slot]),
                                      delivery.times_ms[slot] * 1000, records[k].key, records[k].value});
      }
      // The commit marker follows the last record: everything below it + 1 is decided.
      tail_->add(parts[i]->partition, std::move(committed), results[i].end_offset + 1);
    }
  }
  for (std::size_t i = 0; i < parts.size(); ++i) parts[i]->result = R::ok(std::move(results[i]));
  return std::nullopt;
}

void KafkaEventLog::mark_tail_in_doubt() {
  if (!tail_) return;
  tail_->invalidate_all();
  tail_invalid_ = true;
}

LogResult<bool> KafkaEventLog::index_parts(const std::vector<TransactionPart*>& parts,
                                           const std::vector<std::size_t>& event_base,
                                           const std::vector<std::size_t>& outcome_base, const Delivery& delivery,
                                           const std::vector<std::vector<v1::CommandOutcome>>& outcomes) {
  using R = LogResult<bool>;
  rocksdb::WriteBatch write;
  std::string bytes;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& records = parts[i]->batch->records;
    for (std::size_t k = 0; k < records.size(); ++k) {
      const auto slot = event_base[i] + k;
      write.Put(stream_key(records[k].key, records[k].stream_version),
                stream_value(parts[i]->partition, static_cast<std::uint64_t>(delivery.offsets[slot]),
                             delivery.times_ms[slot] * 1000, records[k].value));
    }
    for (const auto& outcome : outcomes[i]) {
      outcome.SerializeToString(&bytes);
      write.Put(outcome_key(outcome.command_id()), bytes);
    }
  }
  std::lock_guard lock(read_mutex_);
  auto& state = *read_state_;
  // Advance a checkpoint only when the index already holds everything before this batch:
  // up to its first offset, or up to the one before (the previous commit's marker). A larger
  // gap (another writer, an aborted transaction of ours) is left for the next catch-up.
  auto advance = [&](std::uint64_t& checkpoint, char kind, std::uint32_t partition, std::size_t first,
                     std::size_t count) {
    if (count == 0) return;
    const auto first_offset = static_cast<std::uint64_t>(delivery.offsets[first]);
    const auto last_offset = static_cast<std::uint64_t>(delivery.offsets[first + count - 1]);
    if (checkpoint + 1 >= first_offset) {
      checkpoint = std::max(checkpoint, last_offset + 1);
      write.Put(checkpoint_key(kind, partition), u64_value(checkpoint));
    } else {
      index_stale_.store(true);
    }
  };
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto p = parts[i]->partition;
    advance(state.events_indexed[p], 'e', p, event_base[i], parts[i]->batch->records.size());
    advance(state.outcomes_indexed[p], 'o', p, outcome_base[i], outcomes[i].size());
  }
  // Not synced: the topics are the source of truth, and entries and checkpoints share this
  // batch, so a lost tail only sends the next open back to re-read it.
  auto status = index_->Write(rocksdb::WriteOptions(), &write);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  return R::ok(true);
}

LogResult<std::vector<LogRecord>> KafkaEventLog::read(std::uint32_t partition, std::uint64_t from,
                                                      std::size_t max_records) const {
  using R = LogResult<std::vector<LogRecord>>;
  if (partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  if (const auto* tail = memory_tail()) {
    if (auto held = tail->read(partition, from, max_records)) return R::ok(std::move(*held));
  }
  std::vector<LogRecord> records;
  auto ends = query_end(partition);
  if (!ends) return R::fail(ends.error, ends.detail);
  const std::uint64_t end = *ends.value;
  if (from >= end || max_records == 0) return R::ok(std::move(records));

  std::lock_guard lock(read_mutex_);
  auto& state = *read_state_;
  if (state.assigned != static_cast<int>(partition) || state.next != from) {
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, events_topic_.c_str(), static_cast<std::int32_t>(partition))->offset =
        static_cast<std::int64_t>(from);
    auto err = rd_kafka_assign(clients_->reader, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      state.assigned = -1;
      return R::fail(LogError::io_error, std::string("cannot assign the reader: ") + rd_kafka_err2str(err));
    }
    state.assigned = static_cast<int>(partition);
    state.next = from;
  }

  const auto deadline = Clock::now() + options_.request_timeout;
  while (records.size() < max_records && state.next < end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(clients_->reader, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    if (message == nullptr) continue;
    // Only the current assignment's messages reach here (librdkafka drops those of an
    // earlier one), but a stale one must never be taken for this partition's.
    const bool ours = message->rkt != nullptr && message->partition == static_cast<std::int32_t>(partition) &&
                      events_topic_ == rd_kafka_topic_name(message->rkt);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (ours) state.next = std::max(state.next, static_cast<std::uint64_t>(message->offset));
      rd_kafka_message_destroy(message);
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool transient = message->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                             message->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
      std::string detail = fmt::format("reading {} [{}] at {}: {}", events_topic_, partition, state.next,
                                       rd_kafka_message_errstr(message));
      const auto kind = error_kind(message->err);
      rd_kafka_message_destroy(message);
      if (transient) continue;
      state.assigned = -1;
      return R::fail(kind, std::move(detail));
    }
    if (!ours || static_cast<std::uint64_t>(message->offset) < state.next) {
      rd_kafka_message_destroy(message);
      continue;
    }
    LogRecord record;
    assign_log_record(*message, record);
    state.next = record.offset + 1;
    records.push_back(std::move(record));
    rd_kafka_message_destroy(message);
  }
  if (records.empty() && state.next < end) {
    state.assigned = -1;  // start over with a fresh fetch next time
    return R::fail(LogError::unavailable,
                   fmt::format("no records from {} [{}] at offset {} within {} although its last stable offset is {}",
                               events_topic_, partition, from, seconds(options_.request_timeout), end));
  }
  return R::ok(std::move(records));
}

LogResult<std::uint64_t> KafkaEventLog::query_end(std::uint32_t partition, std::chrono::milliseconds timeout) const {
  using R = LogResult<std::uint64_t>;
  auto offsets = list_offsets(events_topic_, {{partition, RD_KAFKA_OFFSET_END}}, timeout);
  if (!offsets) return R::fail(offsets.error, "end " + offsets.detail);
  const auto end = static_cast<std::uint64_t>(std::max<std::int64_t>(offsets.value->front(), 0));
  known_ends_[partition].store(end);
  return R::ok(end);
}

std::uint64_t KafkaEventLog::end_offset(std::uint32_t partition) const {
  if (partition >= partitions_) return 0;
  if (const auto* tail = memory_tail()) {
    if (auto end = tail->end(partition)) return *end;
  }
  auto end = query_end(partition);
  if (!end) {
    // The interface has no error here; the last known end is a safe answer (ends only grow).
    spdlog::warn("kafka event log: {}", end.detail);
    return known_ends_[partition].load();
  }
  return *end.value;
}

LogResult<std::uint64_t> KafkaEventLog::offset_for_time(std::uint32_t partition, std::int64_t time_us) const {
  using R = LogResult<std::uint64_t>;
  if (partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  auto end = query_end(partition);
  if (!end) return R::fail(end.error, end.detail);
  // Log times are whole milliseconds: a record at ms m has time_us m*1000, which is >= t
  // exactly when m >= ceil(t / 1000). Negative values are special to Kafka (-1 latest,
  // -2 earliest), so times before the epoch ask for 0.
  const std::int64_t ms = time_us <= 0 ? 0 : (time_us + 999) / 1000;
  auto found = list_offsets(events_topic_, {{partition, ms}});
  if (!found) return R::fail(found.error, "time " + found.detail);
  const std::int64_t offset = found.value->front();
  // -1: no record that late. A found offset past the last stable offset belongs to a
  // transaction still open; readers cannot go there yet, so the end is the answer.
  if (offset < 0 || static_cast<std::uint64_t>(offset) >= *end.value) return R::ok(*end.value);
  // Kafka's time index counts transaction markers (and aborted records) too, so the answer
  // may be a marker's offset. The first committed record from there is the answer the
  // interface promises (or the end, when only markers remain).
  auto first = read(partition, static_cast<std::uint64_t>(offset), 1);
  if (!first) return R::fail(first.error, first.detail);
  if (first.value->empty()) return R::ok(*end.value);
  return R::ok(first.value->front().offset);
}

// A wait never outlasts its timeout by more than one short query, even when the cluster is
// unreachable (each query is bounded by what is left, at least 50 ms).
std::uint64_t KafkaEventLog::wait_beyond(std::uint32_t partition, std::uint64_t offset,
                                         std::chrono::milliseconds timeout) const {
  if (partition >= partitions_) return 0;
  if (const auto* tail = memory_tail()) {
    if (auto end = tail->wait_beyond(partition, offset, timeout)) {
      serve_statistics();
      return *end;
    }
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto queried = query_end(partition, std::max(left, std::chrono::milliseconds(50)));
    const std::uint64_t end = queried ? *queried.value : known_ends_[partition].load();
    const auto now = Clock::now();
    if (end > offset || now >= deadline) return end;
    serve_statistics();
    std::this_thread::sleep_for(std::min<Clock::duration>(options_.wait_poll_interval, deadline - now));
  }
}

std::vector<std::uint64_t> KafkaEventLog::wait_any(const std::vector<std::uint64_t>& ends,
                                                   std::chrono::milliseconds timeout) const {
  if (const auto* tail = memory_tail()) {
    if (auto current = tail->wait_any(ends, timeout)) {
      serve_statistics();
      return *current;
    }
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto queried = stable_offsets(events_topic_, std::max(left, std::chrono::milliseconds(50)));
    std::vector<std::uint64_t> current;
    if (queried) {
      current = std::move(*queried.value);
    } else {
      for (std::uint32_t p = 0; p < partitions_; ++p) current.push_back(known_ends_[p].load());
    }
    const auto now = Clock::now();
    if (current != ends || now >= deadline) return current;
    serve_statistics();
    std::this_thread::sleep_for(std::min<Clock::duration>(options_.wait_poll_interval, deadline - now));
  }
}

std::string KafkaEventLog::probe(std::chrono::milliseconds timeout) const {
  // The offsets client: never assigned, and rd_kafka_metadata() is thread-safe.
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto err = rd_kafka_metadata(clients_->offsets, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fmt::format("no broker of {} answered within {} ms: {}", options_.brokers, timeout.count(),
                       rd_kafka_err2str(err));
  }
  rd_kafka_metadata_destroy(metadata);
  return {};
}

void KafkaEventLog::serve_statistics() const {
  if (options_.read_only || options_.statistics_interval.count() <= 0) return;
  // Never beside an append: its delivery reports must be served on its own thread (flush).
  std::unique_lock lock(append_mutex_, std::try_to_lock);
  if (lock.owns_lock() && clients_->producer != nullptr) rd_kafka_poll(clients_->producer, 0);
}

LogResult<bool> KafkaEventLog::refresh_index_if_stale() const {
  if (!index_stale_.load()) return LogResult<bool>::ok(true);
  std::lock_guard lock(read_mutex_);
  if (!index_stale_.load()) return LogResult<bool>::ok(true);
  return catch_up_locked(/*at_open=*/false);
}

LogResult<std::vector<LogRecord>> KafkaEventLog::read_stream(std::string_view stream_id) const {
  using R = LogResult<std::vector<LogRecord>>;
  // A read-only log has no appends of its own to keep its index current.
  if (options_.read_only) index_stale_.store(true);
  if (auto fresh = refresh_index_if_stale(); !fresh) {
    return R::fail(fresh.error, "the stream index is behind the log and cannot catch up: " + fresh.detail);
  }
  const std::string prefix = stream_key_prefix(stream_id);
  std::string upper = prefix;
  upper.back() = '\x01';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(index_->NewIterator(read_options));
  std::vector<LogRecord> records;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const auto value = it->value().ToStringView();
    if (value.size() < 20) return R::fail(LogError::corrupt, "bad stream index entry");
    LogRecord record;
    record.partition = codec::get_u32(value.substr(0, 4));
    record.offset = codec::get_u64(value.substr(4, 8));
    record.log_time_us = static_cast<std::int64_t>(codec::get_u64(value.substr(12, 8)));
    record.key.assign(stream_id);
    record.value.assign(value.substr(20));
    records.push_back(std::move(record));
  }
  if (!it->status().ok()) return R::fail(LogError::io_error, it->status().ToString());
  return R::ok(std::move(records));
}

LogResult<std::optional<v1::CommandOutcome>> KafkaEventLog::find_outcome(std::string_view command_id) const {
  using R = LogResult<std::optional<v1::CommandOutcome>>;
  // A read-only log has no appends of its own to keep its index current.
  if (options_.read_only) index_stale_.store(true);
  if (auto fresh = refresh_index_if_stale(); !fresh) {
    return R::fail(fresh.error, "the outcome index is behind the log and cannot catch up: " + fresh.detail);
  }
  std::string value;
  auto status = index_->Get(rocksdb::ReadOptions(), outcome_key(command_id), &value);
  if (status.IsNotFound()) return R::ok(std::nullopt);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  v1::CommandOutcome outcome;
  if (!outcome.ParseFromString(value)) return R::fail(LogError::corrupt, "undecodable outcome");
  return R::ok(std::optional<v1::CommandOutcome>(std::move(outcome)));
}

}  // namespace orderline::eventstore
