#pragma once
// The projector runtime: follows every partition of the log from the projections'
// checkpoints, folds batches of events into the read-model store, and writes each batch
// together with the new checkpoints in one RocksDB WriteBatch (sync=false: the checkpoint
// is in the batch and the log is the source of truth, so a lost tail is simply re-applied).
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_log.h"
#include "projections/order_feed.h"
#include "projections/projection.h"
#include "projections/read_model_store.h"

namespace orderline::projections {

// Told of every batch the projector writes (metrics), so this layer knows nothing of
// Prometheus. Called on the projector's thread; must be cheap and never block.
class ProjectorObserver {
 public:
  virtual ~ProjectorObserver() = default;
  // `events` folded from `partition` and written with their checkpoints in `elapsed`
  // (decode + apply + the read-model write).
  virtual void on_batch(std::uint32_t partition, std::size_t events, std::chrono::nanoseconds elapsed) = 0;
};

struct ProjectorOptions {
  std::size_t batch_size = 2048;         // events per partition per WriteBatch
  ProjectorObserver* observer = nullptr;  // metrics; must outlive the projector. None: not observed
  OrderFeed* order_feed = nullptr;        // live order updates (WebSocket); must outlive the projector
};

// How far each projection has folded each partition, for lag metrics (the observer's side
// compares it with the log's end at scrape time).
struct ProjectorStats {
  struct Projection {
    std::string name;
    std::vector<std::uint64_t> checkpoints;  // per partition: next offset it has yet to fold
  };
  std::vector<Projection> projections;
  std::uint64_t applied_events = 0;  // since start
};

class Projector {
 public:
  Projector(const eventstore::EventLog& log, ReadModelStore& store,
            std::vector<std::unique_ptr<Projection>> projections, ProjectorOptions options = {});
  ~Projector();

  void start();
  void stop();
  // Folds everything currently in the log, on the caller's thread (for tests and tools).
  void catch_up();
  // Events folded since start, for progress reports.
  std::uint64_t applied_events() const { return applied_events_.load(); }
  // A consistent snapshot of the checkpoints; any thread.
  ProjectorStats stats() const;

 private:
  void run();
  // Applies one batch of one partition; returns the number of records folded.
  std::size_t step(std::uint32_t partition);

  const eventstore::EventLog& log_;
  ReadModelStore& store_;
  std::vector<std::unique_ptr<Projection>> projections_;
  ProjectorOptions options_;
  // checkpoints_[projection][partition]: next offset each projection has yet to fold.
  // Written only by the thread folding (under checkpoints_mutex_, so stats() can copy them).
  std::vector<std::vector<std::uint64_t>> checkpoints_;
  mutable std::mutex checkpoints_mutex_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> applied_events_{0};
  std::thread thread_;
};

}  // namespace orderline::projections
