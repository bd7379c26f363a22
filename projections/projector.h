#pragma once
// The projector runtime: follows every partition of the log from the projections'
// checkpoints, folds batches of events into the read-model store, and writes each batch
// together with the new checkpoints in one RocksDB WriteBatch (sync=false: the checkpoint
// is in the batch and the log is the source of truth, so a lost tail is simply re-applied).
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
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
  // The RocksDB write of that batch alone (read models + checkpoints, sync=false): a slow disk
  // shows here before it shows in the whole batch's time.
  virtual void on_write(std::chrono::nanoseconds /*elapsed*/) {}
  // An event parked as a dead letter of `projection`, or a projection stopped on it.
  virtual void on_poison_event(const std::string& /*projection*/, bool /*stopped*/) {}
};

// What a projection does with an event it cannot fold after every retry.
enum class PoisonPolicy {
  park,  // record a dead letter (keys.h dl/...) and go on with the next event
  stop,  // stop this projection at the event (state "failed"; resume retries it)
};

struct ProjectorOptions {
  std::size_t batch_size = 2048;         // events per partition per WriteBatch
  ProjectorObserver* observer = nullptr;  // metrics; must outlive the projector. None: not observed
  // 0: every projection folds into its live version (ReadModelStore::active_version). N: into
  // version N (a rebuild beside the live one).
  int version = 0;
  // Whether batches advance the store's published checkpoints (after=TOKEN waits on them). A
  // rebuild's projector does not: queries read the live version until the swap.
  bool publish = true;
  // A projection's apply that throws is retried (its writes for that event rolled back) this
  // many times in all, waiting retry_backoff, doubled each time, between tries.
  int max_attempts = 3;
  std::chrono::milliseconds retry_backoff{20};
  PoisonPolicy on_poison = PoisonPolicy::park;
  OrderFeed* order_feed = nullptr;        // live order updates (WebSocket); must outlive the projector
};

// How far each projection has folded each partition, for lag metrics (the observer's side
// compares it with the log's end at scrape time).
struct ProjectorStats {
  struct Projection {
    std::string name;
    std::vector<std::uint64_t> checkpoints;  // per partition: next offset it has yet to fold
    int version = 1;
    bool paused = false;
    std::string failure = {};  // why it stopped (PoisonPolicy::stop); "" otherwise
    // The partitions this process folds; empty: all. A member of a projector group reports
    // only its own (the others' checkpoints are another member's to move).
    std::vector<std::uint32_t> partitions = {};
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
  // One batch from every partition that has events; returns the events folded (0: caught up).
  // For a rebuild driven by another thread, with progress between calls.
  std::size_t catch_up_pass();
  // Events folded since start, for progress reports.
  std::uint64_t applied_events() const { return applied_events_.load(); }
  // A consistent snapshot of the checkpoints; any thread.
  ProjectorStats stats() const;

  // Operations (any thread; each waits for the batch in progress). False: no such projection.
  // A paused projection keeps its checkpoint while the others go on (its lag grows).
  bool set_paused(const std::string& name, bool paused);
  // Drops the live version's keys and folds it again from offset 0, in place: queries see it
  // partly built meanwhile (a rebuild avoids that).
  bool reset(const std::string& name);
  // The swap of a rebuild: `rebuilt` (a projector of one projection, version N+1, not running)
  // is folded up to this projector's checkpoint of that projection on every partition while
  // this one is held, then takes its place, the store's live version becomes N+1, and the
  // version it replaced is returned for dropping. nullopt: no such projection here.
  std::optional<int> swap_in(Projector& rebuilt);

  // Dead letters: applies the parked event at (partition, offset) to the projection's live
  // version now (the event comes from the log); on success the dead letter is deleted in the
  // same write. Returns "" on success, else why not (the dead letter then records the try).
  std::string retry_dead_letter(const std::string& name, std::uint32_t partition, std::uint64_t offset);
 private:
  struct Instance {
    std::unique_ptr<Projection> projection;
    int version = 1;
    std::string prefix;  // keys::version_prefix of (name, version)
    bool paused = false;
    std::string failure;  // set when it stopped on a poison event; cleared by resume
    std::vector<std::uint64_t> checkpoints;  // per partition: next offset it has yet to fold
  };

  void run();
  // A version written in another Projection::format() is dropped and folded from the start.
  void refold_if_other_format(const std::string& name, const Projection& projection, Instance& instance);
  // Applies one batch of one partition; returns the number of records folded.
  std::size_t step(std::uint32_t partition);
  std::size_t step_locked(std::uint32_t partition);  // with step_mutex_ held
  void publish_lowest(std::uint32_t partition);
  Instance* find(const std::string& name);
  // Moves every running projection's checkpoint of a partition below `end` to it (a stretch
  // without records). With step_mutex_ held.
  void skip_to(std::uint32_t partition, std::uint64_t end);

  const eventstore::EventLog& log_;
  ReadModelStore& store_;
  ProjectorOptions options_;
  // Written only under step_mutex_ (one batch at a time) and checkpoints_mutex_ (so stats()
  // can copy them without waiting for a batch).
  std::vector<Instance> instances_;
  std::mutex step_mutex_;
  mutable std::mutex checkpoints_mutex_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> applied_events_{0};
  std::thread thread_;
};

}  // namespace orderline::projections
