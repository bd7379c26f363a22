#pragma once
// The embedded CommandBus: one bounded queue and one worker thread per partition. A worker
// drains up to max_batch commands into one PartitionProcessor::process() call, i.e. one
// synced append (group commit); partitions run in parallel and RocksDB merges their syncs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/command_bus.h"
#include "commands/command_observer.h"
#include "commands/command_processor.h"

namespace orderline::commands {

struct LocalBusOptions {
  std::size_t queue_capacity = 4096;  // per partition; a full queue answers overloaded (429)
  std::size_t max_batch = 512;        // commands per commit
  ProcessorOptions processor;
  CommandObserver* observer = nullptr;  // metrics; must outlive the bus. None: not observed
};

// A snapshot for metrics and readiness, taken at scrape time.
struct BusStats {
  std::vector<std::size_t> queued;  // commands waiting, per partition
  std::size_t queue_capacity = 0;   // per partition; a full queue answers 429
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
  BusStats stats() const;

 private:
  struct Queued {
    v1::Command command;
    ReplyHandler on_reply;
    std::chrono::steady_clock::time_point submitted;  // for the observer's latency
  };
  struct Partition {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Queued> queue;
    std::unique_ptr<PartitionProcessor> processor;
    std::thread worker;
    std::uint32_t index = 0;
  };
  void run(Partition& partition);
  // Processes one batch taken from a partition's queue and answers every command of it.
  void process_batch(std::uint32_t partition, std::vector<Queued>& taken, std::vector<v1::Command>& batch);

  eventstore::EventLog& log_;
  LocalBusOptions options_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace orderline::commands
