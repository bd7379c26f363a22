#include "commands/local_command_bus.h"

#include "commands/command_labels.h"
#include "eventstore/partitioning.h"
#include "observability/log.h"
#include "observability/log_context.h"

namespace orderline::commands {

LocalCommandBus::LocalCommandBus(eventstore::EventLog& log, Lookups lookups, LocalBusOptions options)
    : log_(log), options_(options) {
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
    auto partition = std::make_unique<Partition>();
    partition->processor = std::make_unique<PartitionProcessor>(p, log_, lookups, options_.processor);
    partition->index = p;
    partitions_.push_back(std::move(partition));
  }
  for (auto& partition : partitions_) {
    partition->worker = std::thread([this, raw = partition.get()] { run(*raw); });
  }
}

LocalCommandBus::~LocalCommandBus() { drain_and_stop(); }

std::uint32_t LocalCommandBus::partition_count() const { return log_.partition_count(); }

void LocalCommandBus::submit(v1::Command command, ReplyHandler on_reply) {
  auto refuse = [&](CommandReply::Kind kind) {
    CommandReply reply;
    reply.kind = kind;
    reply.outcome.set_command_id(command.command_id());
    if (options_.observer) options_.observer->on_reply(command, reply, std::chrono::nanoseconds::zero());
    on_reply(std::move(reply));
  };
  if (stopping_.load()) return refuse(CommandReply::Kind::shutting_down);
  auto& partition =
      *partitions_[eventstore::partition_for(command.stream_id(), log_.partition_count())];
  {
    std::lock_guard lock(partition.mutex);
    // Checked under the lock so drain_and_stop() cannot miss a command enqueued after it.
    if (stopping_.load()) return refuse(CommandReply::Kind::shutting_down);
    if (partition.queue.size() >= options_.queue_capacity) {
      // Back-pressure (DESIGN rule 8): answer now instead of queueing without bound.
      return refuse(CommandReply::Kind::overloaded);
    }
    const auto submitted = options_.observer ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    partition.queue.push_back({std::move(command), std::move(on_reply), submitted});
  }
  partition.ready.notify_one();
}

void LocalCommandBus::run(Partition& partition) {
  std::vector<Queued> taken;
  std::vector<v1::Command> batch;
  for (;;) {
    {
      std::unique_lock lock(partition.mutex);
      partition.ready.wait(lock, [&] { return !partition.queue.empty() || stopping_.load(); });
      if (partition.queue.empty()) return;  // stopping and drained
      while (!partition.queue.empty() && taken.size() < options_.max_batch) {
        taken.push_back(std::move(partition.queue.front()));
        partition.queue.pop_front();
      }
    }
    process_batch(partition.index, taken, batch);
    taken.clear();
  }
}

void LocalCommandBus::process_batch(std::uint32_t index, std::vector<Queued>& taken, std::vector<v1::Command>& batch) {
  auto& partition = *partitions_[index];
  batch.clear();
  batch.reserve(taken.size());
  for (auto& item : taken) batch.push_back(std::move(item.command));
  // Counted by the processor rather than read from the log's end offset: on Kafka that
  // would cost two broker requests per batch (and markers take offsets too).
  const auto appended_before = partition.processor->stats().events_appended;
  const auto started = std::chrono::steady_clock::now();
  auto replies = partition.processor->process(batch);
  const auto finished = std::chrono::steady_clock::now();

  std::size_t failed = 0;
  const CommandReply* first_failure = nullptr;
  for (const auto& reply : replies) {
    if (reply.kind != CommandReply::Kind::failed) continue;
    if (!first_failure) first_failure = &reply;
    ++failed;
  }
  if (first_failure) {
    // One line per batch, not per command: a failing disk would otherwise flood the log.
    observability::log("commands")->error("partition {}: {} of {} commands failed: {}", index, failed, replies.size(),
                                          first_failure->outcome.error_detail());
  }
  if (options_.observer) {
    options_.observer->on_batch(index, batch.size(), partition.processor->stats().events_appended - appended_before,
                                finished - started);
  }
  const bool debug = observability::should_log(spdlog::level::debug);
  for (std::size_t i = 0; i < taken.size(); ++i) {
    if (options_.observer) options_.observer->on_reply(batch[i], replies[i], finished - taken[i].submitted);
    if (debug) {
      observability::ScopedLogContext scope(batch[i].correlation_id(), batch[i].command_id());
      observability::log("commands")->debug("command {} {} on {}: {}{}", command_type(batch[i]), batch[i].command_id(),
                                            batch[i].stream_id(), reply_result(replies[i]),
                                            replies[i].outcome.error_code().empty() ? "" : " " + replies[i].outcome.error_code());
    }
    taken[i].on_reply(std::move(replies[i]));
  }
}

void LocalCommandBus::drain_and_stop() {
  for (auto& partition : partitions_) {
    std::lock_guard lock(partition->mutex);
    stopping_.store(true);
  }
  for (auto& partition : partitions_) {
    partition->ready.notify_all();
    if (partition->worker.joinable()) partition->worker.join();
  }
}

BusStats LocalCommandBus::stats() const {
  BusStats stats;
  stats.queue_capacity = options_.queue_capacity;
  for (const auto& partition : partitions_) {
    std::lock_guard lock(partition->mutex);
    stats.queued.push_back(partition->queue.size());
  }
  return stats;
}

std::size_t LocalCommandBus::queued() const {
  std::size_t total = 0;
  for (const auto& partition : partitions_) {
    std::lock_guard lock(partition->mutex);
    total += partition->queue.size();
  }
  return total;
}

}  // namespace orderline::commands
