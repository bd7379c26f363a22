#include "eventstore/kafka/tail_follower.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "eventstore/kafka/log_record_of.h"
#include "eventstore/kafka/transient_error.h"

namespace orderline::eventstore {

namespace {
// Messages taken from the consumer's queue before the tail is told: one lock and one wake-up
// per burst instead of per record.
constexpr std::size_t kBurst = 1024;
}  // namespace

TailFollower::TailFollower(rd_kafka_s* consumer, std::string topic, const std::vector<std::uint64_t>& ends,
                           std::size_t budget_bytes)
    : consumer_(consumer), topic_(std::move(topic)), tail_(static_cast<std::uint32_t>(ends.size()), budget_bytes) {
  rd_kafka_poll_set_consumer(consumer_);  // errors and logs through rd_kafka_consumer_poll()
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(ends.size()));
  for (std::size_t p = 0; p < ends.size(); ++p) {
    tail_.reset(static_cast<std::uint32_t>(p), ends[p]);
    rd_kafka_topic_partition_list_add(list, topic_.c_str(), static_cast<std::int32_t>(p))->offset =
        static_cast<std::int64_t>(ends[p]);
  }
  const auto err = rd_kafka_assign(consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(consumer_);
    throw std::runtime_error(std::string("kafka event log: cannot assign the tail follower: ") + rd_kafka_err2str(err));
  }
  thread_ = std::thread([this] { run(); });
}

TailFollower::~TailFollower() {
  running_.store(false);
  if (thread_.joinable()) thread_.join();
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
}

void TailFollower::run() {
  const auto partitions = static_cast<std::uint32_t>(tail_.partition_count());
  std::vector<std::vector<LogRecord>> records(partitions);
  std::vector<std::uint64_t> decided(partitions, 0);  // per partition: decided end seen in this burst
  std::vector<bool> moved(partitions, false);
  while (running_.load()) {
    // Bounded, so the destructor is noticed; librdkafka's own fetch long-poll decides how
    // soon a commit arrives.
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, 100);
    for (std::size_t taken = 0; message != nullptr;) {
      const bool ours = message->rkt != nullptr && message->partition >= 0 &&
                        static_cast<std::uint32_t>(message->partition) < partitions &&
                        topic_ == rd_kafka_topic_name(message->rkt);
      const auto p = static_cast<std::uint32_t>(message->partition);
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // The fetch position at the last stable offset: decided up to there.
        if (ours) {
          decided[p] = std::max(decided[p], static_cast<std::uint64_t>(std::max<std::int64_t>(message->offset, 0)));
          moved[p] = true;
        }
      } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (is_transient_error(message->err) || !ours) {
          spdlog::debug("kafka tail follower: {}", rd_kafka_message_errstr(message));
        } else {
          spdlog::warn("kafka tail follower: {} [{}]: {}; its readers ask the brokers from now on", topic_, p,
                       rd_kafka_message_errstr(message));
          tail_.invalidate(p);
        }
      } else if (ours) {
        LogRecord record;
        assign_log_record(*message, record);
        decided[p] = std::max(decided[p], record.offset + 1);
        moved[p] = true;
        records[p].push_back(std::move(record));
      }
      rd_kafka_message_destroy(message);
      message = ++taken < kBurst ? rd_kafka_consumer_poll(consumer_, 0) : nullptr;
    }
    for (std::uint32_t p = 0; p < partitions; ++p) {
      if (!moved[p]) continue;
      tail_.add(p, std::move(records[p]), decided[p]);
      records[p].clear();
      moved[p] = false;
    }
  }
}

}  // namespace orderline::eventstore
