#include "eventstore/kafka/kafka_history_reader.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/log_record_of.h"
#include "eventstore/kafka/transient_error.h"

namespace orderline::eventstore {
namespace {

using Clock = std::chrono::steady_clock;

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.3g} s", static_cast<double>(d.count()) / 1000.0);
}

// librdkafka reports connection trouble through callbacks on its own threads; the last one is
// kept in errors_ (see the header).
void on_log(const rd_kafka_t* rk, int level, const char* /*facility*/, const char* message) {
  // syslog levels: 3 error, 4 warning. Debug and info chatter is dropped.
  if (level > 4) return;
  if (auto* errors = static_cast<LastClientError*>(rd_kafka_opaque(rk))) errors->set(message);
}

void on_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto text = fmt::format("{}: {}", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)), reason);
  auto* errors = static_cast<LastClientError*>(opaque);
  // "1/1 brokers are down" only sums up the connection failures logged before it with their cause.
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) errors->set_summary(std::move(text));
  else errors->set(std::move(text));
}

}  // namespace

// One partition's range, read from that partition's own queue (see the header).
class KafkaHistoryReader::Cursor final : public RecordCursor {
 public:
  Cursor(const KafkaHistoryReader& reader, const HistoryRange& range, rd_kafka_queue_t* queue)
      : reader_(reader), range_(range), queue_(queue), next_(range.from), done_(range.from >= range.to) {}
  ~Cursor() override {
    if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  bool next(LogRecord& record) override {
    auto last_data = Clock::now();
    while (!done_) {
      rd_kafka_message_t* message = rd_kafka_consume_queue(queue_, 100);
      if (message == nullptr) {
        rd_kafka_poll(reader_.consumer_, 0);  // serves the error callback
        if (Clock::now() - last_data > reader_.options_.stall_timeout) {
          throw std::runtime_error(reader_.describe_failure(
              fmt::format("nothing from Kafka at {} for {} while reading {} [{}] at offset {}",
                          reader_.options_.brokers, seconds(reader_.options_.stall_timeout), reader_.topic_,
                          range_.partition, next_),
              nullptr));
        }
        continue;
      }
      const auto err = message->err;
      const auto offset = message->offset;
      if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // Caught up with the last stable offset: done once it is at or past the range's end
        // (only markers or aborted records lay between the last record and `to`).
        rd_kafka_message_destroy(message);
        last_data = Clock::now();
        if (offset >= 0 && static_cast<std::uint64_t>(offset) >= range_.to) done_ = true;
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string detail = rd_kafka_message_errstr(message);
        rd_kafka_message_destroy(message);
        if (is_transient_error(err)) continue;  // librdkafka retries; the stall bound still applies
        throw std::runtime_error(fmt::format("cannot read {} [{}] at offset {} from {}: {}", reader_.topic_,
                                             range_.partition, next_, reader_.options_.brokers, detail));
      }
      if (offset < 0 || static_cast<std::uint64_t>(offset) >= range_.to) {
        rd_kafka_message_destroy(message);
        done_ = true;
        break;
      }
      assign_log_record(*message, record);
      rd_kafka_message_destroy(message);
      next_ = record.offset + 1;
      return true;
    }
    return false;
  }

 private:
  const KafkaHistoryReader& reader_;
  HistoryRange range_;
  rd_kafka_queue_t* queue_;
  std::uint64_t next_;  // for messages: where the reading stands
  bool done_;
};

KafkaHistoryReader::KafkaHistoryReader(KafkaHistoryOptions options)
    : options_(std::move(options)), topic_(options_.topic_prefix + "." + options_.topic),
      errors_(std::make_unique<LastClientError>()) {
  if (options_.brokers.empty()) throw std::invalid_argument("no Kafka brokers given");
  ClientConf conf("kafka history reader");
  conf.set("bootstrap.servers", options_.brokers);
  conf.set("client.id", "orderline-history-reader");
  set_assigning_reader(conf, options_.topic_prefix + ".history-reader");
  // Per partition with partition queues: 8 MB of prefetch each.
  conf.set("queued.max.messages.kbytes", "8192");
  conf.set("log.connection.close", "false");
  conf.set_all(options_.client_config);
  rd_kafka_conf_set_log_cb(conf.get(), on_log);
  rd_kafka_conf_set_error_cb(conf.get(), on_error);
  rd_kafka_conf_set_opaque(conf.get(), errors_.get());
  consumer_ = conf.create(RD_KAFKA_CONSUMER);

  try {
    // The topic's partitions, from a metadata request (which also proves the brokers answer).
    const auto deadline = Clock::now() + options_.connect_timeout;
    for (;;) {
      rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer_, topic_.c_str(), nullptr);
      const rd_kafka_metadata_t* metadata = nullptr;
      const auto left = std::max<std::int64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      auto err = rd_kafka_metadata(consumer_, 0, handle, &metadata, static_cast<int>(left));
      rd_kafka_topic_destroy(handle);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(describe_failure(
            fmt::format("cannot reach Kafka at {} within {}", options_.brokers, seconds(options_.connect_timeout)),
            rd_kafka_err2str(err)));
      }
      const auto topic_err = metadata->topic_cnt == 1 ? metadata->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
      const int count = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : 0;
      rd_kafka_metadata_destroy(metadata);
      if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || topic_err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
        throw KafkaTopicNotFound(fmt::format(
            "Kafka at {} has no topic {}: is the prefix right? (kafka://{}?prefix={} reads {})", options_.brokers,
            topic_, options_.brokers, options_.topic_prefix, topic_));
      }
      if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR && count > 0) {
        ends_.assign(static_cast<std::size_t>(count), 0);
        break;
      }
      if (Clock::now() >= deadline) {
        throw std::runtime_error(fmt::format("topic {} at {} is not available: {}", topic_, options_.brokers,
                                             rd_kafka_err2str(topic_err)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Timestamp -1 (latest) from a read_committed client: the last stable offsets.
    std::vector<std::pair<std::uint32_t, std::int64_t>> queries;
    for (std::uint32_t p = 0; p < ends_.size(); ++p) queries.emplace_back(p, RD_KAFKA_OFFSET_END);
    const auto ends = list_offsets(queries);
    for (std::size_t p = 0; p < ends.size(); ++p) ends_[p] = static_cast<std::uint64_t>(std::max<std::int64_t>(ends[p], 0));
  } catch (...) {
    rd_kafka_destroy_flags(consumer_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    throw;
  }
}

KafkaHistoryReader::~KafkaHistoryReader() {
  // No group membership and no offsets to commit: a consumer close has nothing to do, and
  // with the brokers gone (an export that failed on them) it could wait for them.
  rd_kafka_destroy_flags(consumer_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

std::string KafkaHistoryReader::last_client_error() const { return errors_->get(); }

std::string KafkaHistoryReader::describe_failure(const std::string& what, const char* error) const {
  std::string text = what;
  if (error != nullptr) text += std::string(": ") + error;
  return text + errors_->suffix();
}

std::vector<std::int64_t> KafkaHistoryReader::list_offsets(
    const std::vector<std::pair<std::uint32_t, std::int64_t>>& queries) const {
  const auto deadline = Clock::now() + options_.connect_timeout;
  for (;;) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(queries.size()));
    for (const auto& [partition, timestamp] : queries) {
      rd_kafka_topic_partition_list_add(list, topic_.c_str(), static_cast<std::int32_t>(partition))->offset = timestamp;
    }
    const auto left = std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    auto err = rd_kafka_offsets_for_times(consumer_, list, static_cast<int>(left));
    std::vector<std::int64_t> offsets;
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      err = list->elems[i].err;
      offsets.push_back(list->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return offsets;
    if (!is_transient_error(err) || Clock::now() + std::chrono::milliseconds(50) >= deadline) {
      throw std::runtime_error(
          describe_failure(fmt::format("cannot read the offsets of {} from {}", topic_, options_.brokers),
                           rd_kafka_err2str(err)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::uint64_t KafkaHistoryReader::end_offset(std::uint32_t partition) const {
  return partition < ends_.size() ? ends_[partition] : 0;
}

std::uint64_t KafkaHistoryReader::offset_for_time(std::uint32_t partition, std::int64_t time_us) const {
  // Log times are milliseconds: the first record at or after time_us is the first at or after
  // the next whole millisecond. Kafka reads negative timestamps as "latest"/"earliest", and
  // every record is after 1970 anyway.
  const std::int64_t ms = time_us <= 0 ? 0 : (time_us + 999) / 1000;
  const auto found = list_offsets({{partition, ms}}).front();
  const auto end = end_offset(partition);
  return found < 0 ? end : std::min(static_cast<std::uint64_t>(found), end);
}

std::vector<std::unique_ptr<RecordCursor>> KafkaHistoryReader::open_ranges(
    const std::vector<HistoryRange>& ranges) const {
  std::vector<std::unique_ptr<RecordCursor>> cursors;
  auto* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size()));
  for (const auto& range : ranges) {
    if (range.partition >= ends_.size()) {
      rd_kafka_topic_partition_list_destroy(assignment);
      throw std::invalid_argument(fmt::format("{} has no partition {}", topic_, range.partition));
    }
    rd_kafka_queue_t* queue = nullptr;
    if (range.from < range.to) {
      // Taken off the consumer queue before the assignment starts fetching, so none of this
      // partition's records can land anywhere but here.
      queue = rd_kafka_queue_get_partition(consumer_, topic_.c_str(), static_cast<std::int32_t>(range.partition));
      if (queue == nullptr) {
        rd_kafka_topic_partition_list_destroy(assignment);
        throw std::runtime_error(fmt::format("no queue for {} [{}]", topic_, range.partition));
      }
      rd_kafka_queue_forward(queue, nullptr);
      rd_kafka_topic_partition_list_add(assignment, topic_.c_str(), static_cast<std::int32_t>(range.partition))
          ->offset = static_cast<std::int64_t>(range.from);
    }
    cursors.push_back(std::make_unique<Cursor>(*this, range, queue));
  }
  const auto err = rd_kafka_assign(consumer_, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(fmt::format("cannot assign {}: {}", topic_, rd_kafka_err2str(err)));
  }
  return cursors;
}

}  // namespace orderline::eventstore
