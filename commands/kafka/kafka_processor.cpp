#include "commands/kafka/kafka_processor.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <cstring>
#include <optional>
#include <stdexcept>

#include "eventstore/kafka/client_conf.h"
#include "eventstore/kafka/kafka_statistics.h"
#include "eventstore/kafka/topic_admin.h"
#include "eventstore/partitioning.h"
#include "observability/log.h"

namespace orderline::commands {
namespace {

auto logger() { return observability::log("processor"); }

void rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                          void* opaque) {
  static_cast<KafkaProcessor*>(opaque)->on_rebalance(err, partitions);
}

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

PartitionList one_partition(const std::string& topic, std::uint32_t partition, std::int64_t offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<std::int32_t>(partition))->offset = offset;
  return list;
}

}  // namespace

struct KafkaProcessor::Owned {
  std::uint64_t epoch = 0;  // of the assignment that gave it to us
  bool ready = false;       // restored and resumed
  std::unique_ptr<PartitionProcessor> processor;
};

struct KafkaProcessor::Consumed {
  std::int64_t offset = 0;
  std::uint64_t epoch = 0;
  std::chrono::steady_clock::time_point polled;  // for the command latency (TransactionReport)
  std::optional<v1::Command> command;  // nullopt: undecodable or misrouted, consumed and skipped
};

KafkaProcessor::KafkaProcessor(eventstore::KafkaEventLog& log, Lookups lookups, KafkaProcessorOptions options)
    : log_(log), lookups_(std::move(lookups)), options_(std::move(options)) {
  const auto& kafka = options_.kafka;
  commands_topic_ = eventstore::ensure_commands_topic(kafka);
  replies_topic_ = eventstore::replies_topic(kafka.topic_prefix);
  reply_partitions_ = eventstore::ensure_replies_topic(kafka, 16);
  log_.prepare_topic(replies_topic_);

  eventstore::ClientConf conf("kafka processor");
  conf.set("bootstrap.servers", kafka.brokers);
  conf.set("client.id", "orderline-processor");
  conf.set("group.id", kafka.topic_prefix + ".processors");
  conf.set("partition.assignment.strategy", "cooperative-sticky");
  conf.set("isolation.level", "read_committed");
  conf.set("enable.auto.commit", "false");  // offsets commit inside the transactions
  conf.set("enable.auto.offset.store", "false");
  conf.set("auto.offset.reset", "earliest");
  conf.set("session.timeout.ms", std::to_string(options_.session_timeout.count()));
  conf.set("heartbeat.interval.ms",
           std::to_string(std::max<std::int64_t>(options_.session_timeout.count() / 4, 100)));
  conf.set("fetch.wait.max.ms", "20");
  conf.set("fetch.error.backoff.ms", "20");
  conf.set("socket.nagle.disable", "true");
  conf.set("log.connection.close", "false");
  conf.set_all(kafka.client_config);
  rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_trampoline);
  rd_kafka_conf_set_opaque(conf.get(), this);
  eventstore::enable_kafka_statistics(conf.get(), kafka.statistics_interval);  // consumer lag per partition
  consumer_ = conf.create(RD_KAFKA_CONSUMER);
  rd_kafka_poll_set_consumer(consumer_);
}

KafkaProcessor::~KafkaProcessor() {
  stop();
  restore_wanted_.notify_all();
  if (restorer_.joinable()) restorer_.join();
  if (consumer_ != nullptr) {
    // Leaves the group now (revoking our partitions) instead of after session.timeout.ms.
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
}

std::string KafkaProcessor::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

KafkaProcessorStats KafkaProcessor::stats() const {
  std::lock_guard lock(mutex_);
  auto stats = stats_;
  for (const auto& [p, epoch] : to_restore_) stats.restoring.insert(p);
  for (const auto& [p, restored] : restored_) stats.restoring.insert(p);  // restored, not resumed yet
  return stats;
}

void KafkaProcessor::set_fatal(std::string why) {
  logger()->error("stopping: {}", why);
  std::lock_guard lock(mutex_);
  if (fatal_.empty()) fatal_ = std::move(why);
  running_.store(false);
}

void KafkaProcessor::on_rebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_error_t* error = nullptr;
    if (cooperative) {
      error = rd_kafka_incremental_assign(consumer_, partitions);
    } else if (auto e = rd_kafka_assign(consumer_, partitions); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = rd_kafka_error_new(e, "%s", rd_kafka_err2str(e));
    }
    if (error != nullptr) {
      logger()->error("cannot take the assignment: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      return;
    }
    // Nothing is consumed until the restore below says the store is current (DESIGN rule 3).
    rd_kafka_pause_partitions(consumer_, partitions);
    const auto epoch = ++assignment_epoch_;
    std::string names;
    {
      std::lock_guard lock(mutex_);
      for (int i = 0; i < partitions->cnt; ++i) {
        const auto p = static_cast<std::uint32_t>(partitions->elems[i].partition);
        auto owned = std::make_unique<Owned>();
        owned->epoch = epoch;
        owned_[p] = std::move(owned);
        to_restore_[p] = epoch;
        restored_.erase(p);
        names += (names.empty() ? "" : ",") + std::to_string(p);
      }
    }
    logger()->info("assigned partitions [{}] of {}: restoring", names, commands_topic_);
    restore_wanted_.notify_all();
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    // No transaction is open here: each batch commits (or aborts) before the next poll, and
    // this callback runs inside a poll. Consumed but unprocessed commands of these
    // partitions are dropped by their epoch; the next owner reads them again.
    const bool lost = rd_kafka_assignment_lost(consumer_) != 0;
    std::string names;
    {
      std::lock_guard lock(mutex_);
      for (int i = 0; i < partitions->cnt; ++i) {
        const auto p = static_cast<std::uint32_t>(partitions->elems[i].partition);
        owned_.erase(p);
        to_restore_.erase(p);
        restored_.erase(p);
        stats_.owned.erase(p);
        names += (names.empty() ? "" : ",") + std::to_string(p);
      }
    }
    logger()->info("{} partitions [{}] of {}", lost ? "lost" : "revoked", names, commands_topic_);
    if (cooperative) {
      if (auto* error = rd_kafka_incremental_unassign(consumer_, partitions)) {
        logger()->error("cannot give up partitions: {}", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
      }
    } else {
      rd_kafka_assign(consumer_, nullptr);
    }
    return;
  }
  logger()->error("rebalance failed: {}", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
  rd_kafka_assign(consumer_, nullptr);
}

// Off the poll thread: committed() can wait for a previous owner's transaction to settle
// (KIP-447's stable offsets), and the index catch-up reads as much as the partition holds.
void KafkaProcessor::restore_loop() {
  while (running_.load()) {
    std::map<std::uint32_t, std::uint64_t> wanted;
    {
      std::unique_lock lock(mutex_);
      restore_wanted_.wait_for(lock, std::chrono::milliseconds(200), [&] { return !to_restore_.empty() || !running_.load(); });
      wanted.swap(to_restore_);
    }
    if (wanted.empty()) continue;
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(wanted.size())));
    for (const auto& [p, epoch] : wanted) {
      rd_kafka_topic_partition_list_add(list.get(), commands_topic_.c_str(), static_cast<std::int32_t>(p));
    }
    std::string failure;
    auto err = rd_kafka_committed(consumer_, list.get(), static_cast<int>(options_.kafka.request_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = std::string("committed offsets: ") + rd_kafka_err2str(err);
    } else {
      for (int i = 0; i < list->cnt && failure.empty(); ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          failure = fmt::format("committed offset of [{}]: {}", list->elems[i].partition, rd_kafka_err2str(list->elems[i].err));
        }
      }
    }
    if (failure.empty()) {
      // The last stable offsets are read now, after committed() said no transaction of a
      // previous owner is pending on these partitions.
      auto restored = log_.restore();
      if (!restored) failure = "restoring the store: " + restored.detail;
    }
    if (!failure.empty()) {
      logger()->warn("restore failed, retrying: {}", failure);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      std::lock_guard lock(mutex_);
      for (const auto& [p, epoch] : wanted) to_restore_.emplace(p, epoch);  // unless reassigned meanwhile
      continue;
    }
    std::lock_guard lock(mutex_);
    for (int i = 0; i < list->cnt; ++i) {
      const auto p = static_cast<std::uint32_t>(list->elems[i].partition);
      restored_[p] = {wanted[p], list->elems[i].offset};
    }
  }
}

void KafkaProcessor::resume_restored() {
  std::map<std::uint32_t, std::pair<std::uint64_t, std::int64_t>> restored;
  {
    std::lock_guard lock(mutex_);
    restored.swap(restored_);
  }
  for (const auto& [p, state] : restored) {
    const auto [epoch, committed] = state;
    auto it = owned_.find(p);
    if (it == owned_.end() || it->second->epoch != epoch) continue;  // revoked or reassigned since
    // The state store starts empty and loads streams from the restored index.
    it->second->processor = std::make_unique<PartitionProcessor>(p, log_, lookups_, options_.processor);
    seek(p, committed >= 0 ? committed : RD_KAFKA_OFFSET_BEGINNING);
    auto list = one_partition(commands_topic_, p, RD_KAFKA_OFFSET_INVALID);
    rd_kafka_resume_partitions(consumer_, list.get());
    it->second->ready = true;
    {
      std::lock_guard lock(mutex_);
      stats_.owned.insert(p);
    }
    logger()->info("partition {} restored; consuming from offset {}", p, committed);
  }
}

void KafkaProcessor::seek(std::uint32_t partition, std::int64_t offset) {
  auto list = one_partition(commands_topic_, partition, offset);
  if (auto* error = rd_kafka_seek_partitions(consumer_, list.get(), static_cast<int>(options_.kafka.request_timeout.count()))) {
    logger()->error("cannot seek partition {} to {}: {}", partition, offset, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
}

void KafkaProcessor::run() {
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, commands_topic_.c_str(), RD_KAFKA_PARTITION_UA);
  auto err = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    set_fatal(std::string("cannot subscribe to ") + commands_topic_ + ": " + rd_kafka_err2str(err));
    return;
  }
  restorer_ = std::thread([this] { restore_loop(); });

  std::map<std::uint32_t, std::vector<Consumed>> batches;
  while (running_.load()) {
    resume_restored();
    std::size_t taken = 0;
    for (int timeout_ms = 100; taken < options_.max_batch; timeout_ms = 0) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, timeout_ms);
      if (message == nullptr) break;
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          logger()->warn("consuming {}: {}", commands_topic_, rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
        continue;
      }
      const auto p = static_cast<std::uint32_t>(message->partition);
      auto it = owned_.find(p);
      if (it != owned_.end() && it->second->ready) {
        Consumed consumed;
        consumed.offset = message->offset;
        consumed.epoch = it->second->epoch;
        consumed.polled = std::chrono::steady_clock::now();
        v1::Command command;
        if (!command.ParseFromArray(message->payload, static_cast<int>(message->len))) {
          logger()->error("undecodable command at {} [{}] offset {}: skipped", commands_topic_, p, message->offset);
        } else if (command.command_id().empty() ||
                   eventstore::partition_for(command.stream_id(), options_.kafka.partitions) != p) {
          logger()->error("command {} at {} [{}] offset {} belongs to another partition or has no id: skipped",
                          command.command_id(), commands_topic_, p, message->offset);
        } else {
          consumed.command = std::move(command);
        }
        batches[p].push_back(std::move(consumed));
        ++taken;
      }
      // A message of a partition not (yet) ready is dropped: resume_restored() seeks to the
      // committed offset, so it is read again.
      rd_kafka_message_destroy(message);
    }
    process_round(batches);
  }
}

std::optional<domain::ProductSnapshot> KafkaProcessor::cached_product(std::string_view sku) const {
  const auto stream = domain::product_stream(sku);
  const auto it = owned_.find(eventstore::partition_for(stream, options_.kafka.partitions));
  if (it == owned_.end() || !it->second->ready || !it->second->processor) return std::nullopt;
  const auto* state = it->second->processor->cached_state(stream);
  const auto* product = state != nullptr ? std::get_if<domain::ProductState>(state) : nullptr;
  if (product == nullptr || product->version == 0) return std::nullopt;
  return domain::ProductSnapshot{product->sku, product->name, product->price, product->active};
}

// One partition's batch on its way into the round's transaction. Heap-held so the extras'
// reply callback can point into it.
struct KafkaProcessor::Pending {
  std::uint32_t partition = 0;
  std::vector<Consumed>* batch = nullptr;
  Owned* owned = nullptr;
  std::vector<v1::Command> commands;
  PartitionProcessor::Decision decision;
  std::uint64_t dropped = 0;
  PartitionList offsets;
  eventstore::KafkaEventLog::TransactionExtras extras;
};

// Aborted (or not decidable): nothing of it is visible. Start this partition over from its
// committed offset (the batch's first) with an empty store, so nothing uncommitted is
// remembered.
void KafkaProcessor::retry(std::uint32_t partition, Owned& owned, const std::vector<Consumed>& batch,
                           const std::string& why) {
  logger()->warn("partition {}: batch of {} commands not committed, retrying from offset {}: {}", partition,
                 batch.size(), batch.front().offset, why);
  {
    std::lock_guard lock(mutex_);
    ++stats_.aborted;
  }
  owned.processor = std::make_unique<PartitionProcessor>(partition, log_, lookups_, options_.processor);
  seek(partition, batch.front().offset);
}

std::unique_ptr<KafkaProcessor::Pending> KafkaProcessor::prepare(std::uint32_t partition,
                                                                 std::vector<Consumed>& batch, bool& retried) {
  auto it = owned_.find(partition);
  if (it == owned_.end() || !it->second->ready || it->second->epoch != batch.front().epoch) return nullptr;
  auto pending = std::make_unique<Pending>();
  pending->partition = partition;
  pending->batch = &batch;
  pending->owned = it->second.get();
  pending->commands.reserve(batch.size());
  for (auto& consumed : batch) {
    if (consumed.epoch != it->second->epoch) return nullptr;  // reassigned within this batch: read again
    if (consumed.command) pending->commands.push_back(*consumed.command);
  }
  auto& processor = *pending->owned->processor;
  pending->decision = processor.decide(pending->commands);
  for (const auto& reply : pending->decision.replies) {
    pending->dropped += reply.kind == CommandReply::Kind::timed_out;
    // The store could not answer (the index is unreachable): committing the offsets would
    // skip the command, so the whole batch waits for the store instead.
    if (reply.kind == CommandReply::Kind::failed) {
      retry(partition, *pending->owned, batch, reply.outcome.error_detail());
      retried = true;
      return nullptr;
    }
  }
  pending->offsets = one_partition(commands_topic_, partition, batch.back().offset + 1);
  pending->extras.offsets = pending->offsets.get();
  pending->extras.records = [this, raw = pending.get()](const eventstore::AppendResult& appended) {
    // The events' delivery reports are in, so the replies carry real positions.
    raw->owned->processor->settle_positions(raw->decision, appended);
    std::vector<eventstore::ExtraRecord> replies;
    for (std::size_t i = 0; i < raw->commands.size(); ++i) {
      const auto& reply = raw->decision.replies[i];
      if (reply.kind != CommandReply::Kind::done) continue;  // dropped past its deadline, or failed
      const auto reply_partition = raw->commands[i].reply_partition();
      if (reply_partition >= static_cast<std::uint32_t>(reply_partitions_)) {
        logger()->error("command {} names reply partition {} of {} partitions: no reply",
                        raw->commands[i].command_id(), reply_partition, reply_partitions_);
        continue;
      }
      replies.push_back({replies_topic_, static_cast<std::int32_t>(reply_partition), raw->commands[i].command_id(),
                         reply.outcome.SerializeAsString()});
    }
    return replies;
  };
  return pending;
}

// Every partition's batch of a poll round in ONE transaction (KafkaEventLog::append_parts):
// a transaction costs the same few broker round trips whatever it carries.
void KafkaProcessor::process_round(std::map<std::uint32_t, std::vector<Consumed>>& batches) {
  const auto round_started = TransactionReport::Clock::now();
  bool retried = false;
  std::vector<std::unique_ptr<Pending>> pending;
  for (auto& [p, batch] : batches) {
    if (batch.empty() || !running_.load()) continue;
    if (auto prepared = prepare(p, batch, retried)) pending.push_back(std::move(prepared));
  }
  if (!pending.empty()) {
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer_);
    std::vector<eventstore::KafkaEventLog::TransactionPart> parts;
    for (auto& one : pending) {
      one->extras.group = group;
      parts.push_back({one->partition, &one->decision.batch, &one->extras});
    }
    const auto transaction_started = TransactionReport::Clock::now();
    log_.append_parts(parts);
    const auto transaction_time = TransactionReport::Clock::now() - transaction_started;
    rd_kafka_consumer_group_metadata_destroy(group);

    for (std::size_t i = 0; i < pending.size(); ++i) {
      auto& one = *pending[i];
      const auto& appended = parts[i].result;
      // Each partition's part counts as one batch and one append, timed as the whole transaction.
      TransactionReport report(options_.observers, one.partition, one.batch->front().polled, round_started);
      report.set_append_time(transaction_time);
      if (appended) {
        one.owned->processor->committed(one.decision);
        report.committed(one.commands, one.decision.replies, one.decision.batch.records.size());
        std::lock_guard lock(mutex_);
        ++stats_.transactions;
        stats_.commands += one.batch->size();
        stats_.dropped_past_deadline += one.dropped;
      } else if (appended.error == eventstore::LogError::closed) {
        // Fenced: another instance with our transactional.id, or our group generation is gone.
        set_fatal("the transaction was fenced or the producer failed for good: " + appended.detail);
        break;
      } else {
        report.aborted(one.commands.size());
        retry(one.partition, *one.owned, *one.batch, appended.detail);
        retried = true;
      }
    }
  }
  // Give a failing store or cluster a moment before the partitions are read again.
  if (retried) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (auto& [p, batch] : batches) batch.clear();
}

}  // namespace orderline::commands
