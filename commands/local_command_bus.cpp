#include "commands/local_command_bus.h"

#include "eventstore/partitioning.h"

namespace orderline::commands {

LocalCommandBus::LocalCommandBus(eventstore::EventLog& log, Lookups lookups, LocalBusOptions options)
    : log_(log), options_(options) {
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
    auto partition = std::make_unique<Partition>();
    partition->processor = std::make_unique<PartitionProcessor>(p, log_, lookups, options_.processor);
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
    partition.queue.push_back({std::move(command), std::move(on_reply)});
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
    batch.clear();
    batch.reserve(taken.size());
    for (auto& item : taken) batch.push_back(std::move(item.command));
    auto replies = partition.processor->process(batch);
    for (std::size_t i = 0; i < taken.size(); ++i) taken[i].on_reply(std::move(replies[i]));
    taken.clear();
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

std::size_t LocalCommandBus::queued() const {
  std::size_t total = 0;
  for (const auto& partition : partitions_) {
    std::lock_guard lock(partition->mutex);
    total += partition->queue.size();
  }
  return total;
}

}  // namespace orderline::commands
