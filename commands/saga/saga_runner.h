#pragma once
// Runs the order saga (saga_reactions.h) against the log: follows every partition from its
// checkpoint, and for each event executes the actions react() calls for: commands through the
// CommandBus, payment calls through the PaymentProvider, time-outs through Timers.
//
// Durable progress without a store of its own truth: the log is the saga's state (the order's
// stream records every answer) and the runner keeps only
//   - a checkpoint per partition: the lowest offset whose actions have not all finished (an
//     action finishes when its command has a durable outcome, or the provider answered);
//   - the due-time index: order -> time-out, re-armed on start.
// both in a small RocksDB of its own (sync=false: the log is the source of truth). After a
// crash, the events after the checkpoint are reacted to again; their command ids and payment
// keys are deterministic, so repeats are answered from the first outcome (no second hold, no
// second charge).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commands/aggregate_cache.h"
#include "commands/command_bus.h"
#include "commands/payments/payment_provider.h"
#include "commands/saga/saga_observer.h"
#include "commands/saga/saga_reactions.h"
#include "commands/timers.h"
#include "eventstore/event_log.h"

namespace rocksdb {
class DB;
}

namespace orderline::commands::saga {

struct SagaOptions {
  SagaPolicy policy;
  std::string state_dir;               // RocksDB of checkpoints and the due-time index
  std::size_t batch_size = 256;        // events read per partition per step
  std::size_t max_in_flight = 4096;    // events with unfinished actions before reading pauses
  SagaObserver* observer = nullptr;    // metrics; must outlive the runner. None: not observed
};

// A snapshot for metrics and tests.
struct SagaStats {
  std::size_t events_in_flight = 0;   // events whose actions have not all finished
  std::size_t steps_in_flight = 0;    // commands and payment calls under way
  std::size_t timeouts_armed = 0;     // orders waiting for a time-out
  std::vector<std::uint64_t> checkpoints;  // per partition
};

class SagaRunner {
 public:
  // Opens (or creates) the state store; throws std::runtime_error when it cannot.
  SagaRunner(const eventstore::EventLog& log, CommandBus& bus, PaymentProvider& payments, Timers& timers,
             std::function<std::int64_t()> now_us, SagaOptions options);
  ~SagaRunner();

  // Re-arms the stored time-outs and starts following the log.
  void start();
  // Stops reading and retrying; unfinished events stay after the checkpoint for the next start.
  void stop();

  // True once every event in the log has been reacted to and every action has finished
  // (for tests and tools); false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);
  SagaStats stats() const;
  // The state store (checkpoints and armed time-outs), for online backups.
  rocksdb::DB& state_store() { return *db_; }

 private:
  struct Task;  // one event's actions
  void run();
  std::size_t step(std::uint32_t partition);
  // Payment actions are added to `payments`, which step() submits at its end.
  // The order's state as of `envelope`'s event (in orders_, valid until its next use); nullptr
  // when the stream cannot be read, or when it is not cached and !may_read. Its version is
  // lower when the stream index trails the log.
  const domain::OrderState* order_at(const v1::EventEnvelope& envelope, const v1::EventPayload& event, bool may_read);
  void execute(const std::shared_ptr<Task>& task, SagaAction action, std::vector<PaymentCall>& payments);
  void submit(const std::shared_ptr<Task>& task, v1::Command command);
  void finish(const std::shared_ptr<Task>& task);
  void arm(const std::string& order_id, std::int64_t due_us, bool persist);
  void disarm(const std::string& order_id);
  void fire(const std::string& order_id, std::int64_t due_us);
  void save_checkpoints();
  void count_outcome(const v1::EventPayload& event, const domain::OrderState* order);

  const eventstore::EventLog& log_;
  CommandBus& bus_;
  PaymentProvider& payments_;
  Timers& timers_;
  std::function<std::int64_t()> now_us_;
  SagaOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  AggregateCache orders_;  // order states as of the last event reacted to; runner thread only

  mutable std::mutex mutex_;
  std::condition_variable progress_;                    // an event finished, or a retry is queued
  std::vector<std::uint64_t> next_;                     // next offset to read, per partition
  std::vector<std::map<std::uint64_t, int>> pending_;   // per partition: offsets with unfinished actions
  std::vector<std::uint64_t> saved_;                    // checkpoints last written
  std::size_t events_in_flight_ = 0;
  std::size_t steps_in_flight_ = 0;
  std::deque<std::pair<std::shared_ptr<Task>, v1::Command>> retries_;  // refused by a full queue
  std::map<std::string, std::int64_t> armed_;           // order -> due time
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace orderline::commands::saga
