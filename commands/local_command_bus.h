#pragma once
// The embedded CommandBus: one bounded queue and one worker thread per partition. A worker
// drains up to max_batch commands into one PartitionProcessor::process() call, i.e. one
// synced append (group commit); partitions run in parallel and RocksDB merges their syncs.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/command_bus.h"
#include "commands/command_processor.h"

namespace orderline::commands {

struct LocalBusOptions {
  std::size_t queue_capacity = 4096;  // per partition; a full queue answers overloaded (429)
  std::size_t max_batch = 512;        // commands per commit
  ProcessorOptions processor;
};

class LocalCommandBus final : public CommandBus {
 public:
  LocalCommandBus(eventstore::EventLog& log, Lookups lookups, LocalBusOptions options);
  ~LocalCommandBus() override;

  void submit(v1::Command command, ReplyHandler on_reply) override;
  std::uint32_t partition_count() const override;

  // Refuses new commands, processes everything already queued, joins the workers.
  void drain_and_stop();

  // Commands waiting across all partitions (for metrics and readiness).
  std::size_t queued() const;

 private:
  struct Queued {
    v1::Command command;
    ReplyHandler on_reply;
  };
  struct Partition {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Queued> queue;
    std::unique_ptr<PartitionProcessor> processor;
    std::thread worker;
  };
  void run(Partition& partition);

  eventstore::EventLog& log_;
  LocalBusOptions options_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace orderline::commands
