#pragma once
// Decides a batch of commands for one partition and commits them in one append: events,
// stream index and every command's outcome together (DESIGN rules 2-4). Mode-independent:
// the embedded bus calls it from a partition's worker; the Kafka processor
// (commands/kafka/) calls decide() and commits inside its own transaction.
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/aggregate_cache.h"
#include "commands/command_bus.h"
#include "domain/aggregate.h"
#include "eventstore/event_log.h"

namespace orderline::commands {

struct ProcessorOptions {
  std::size_t cache_capacity = 50'000;  // aggregate states kept per partition
  // A stream gets a persisted snapshot of its state each time its version crosses a multiple
  // of this (in the commit of that event), so a cache miss replays at most this many events.
  // 0: no snapshots. Ignored for a log that keeps none (Kafka).
  std::uint64_t snapshot_every = 1000;
};

// Counters of the aggregate loads, for tests and metrics.
struct ProcessorStats {
  std::uint64_t loads = 0;                // cache misses that read the log
  std::uint64_t loads_from_snapshot = 0;  // ... of which started from a snapshot
  std::uint64_t events_replayed = 0;      // events folded by those loads
  std::uint64_t snapshots_written = 0;    // snapshots handed to the log in committed batches
  std::uint64_t events_appended = 0;      // records of committed batches
};

// What the command handler may consult besides the aggregate (DESIGN rule 7).
struct Lookups {
  std::function<std::optional<domain::ProductSnapshot>(std::string_view sku)> catalogue;
  std::function<bool(std::string_view customer_id)> customer_exists;
  std::function<std::int64_t()> now_us;  // injected clock
  bool saga = false;  // the order saga runs: new orders are marked for it (DecideContext::saga)
};

class PartitionProcessor {
 public:
  PartitionProcessor(std::uint32_t partition, eventstore::EventLog& log, Lookups lookups,
                     ProcessorOptions options);

  // Decides every command, appends once, and returns one reply per command, in order.
  std::vector<CommandReply> process(const std::vector<v1::Command>& commands);

  // process() in three steps, for a caller that owns the commit (the Kafka processor, whose
  // transaction also carries the replies and the consumed offsets):
  //   auto decision = processor.decide(commands);
  //   auto appended = log.append_with(p, decision.batch, {... settle_positions(decision, result) ...});
  //   appended ? processor.committed(decision) : processor.failed(decision, appended.detail);
  struct Decision {
    std::unordered_map<std::string, domain::AggregateState> states;  // touched in this batch
    // Command ids decided in this batch -> their outcome's index in batch.outcomes.
    std::unordered_map<std::string, std::size_t> outcomes;
    eventstore::AppendBatch batch;  // empty outcomes: nothing to append
    std::vector<CommandReply> replies;  // one per command, in order
    std::vector<bool> needs_commit;     // replies that are true only once the batch commits
    // Streams whose snapshot is due, with the offset of their last event in this batch.
    std::unordered_map<std::string, std::uint64_t> snapshot_due;
    std::uint64_t next_offset = 0;      // offset the next appended record will get
    std::int64_t now_us = 0;
  };
  Decision decide(const std::vector<v1::Command>& commands);
  // Gives the replies the positions the log stored with the outcomes (Kafka's real offsets).
  void settle_positions(Decision& decision, const eventstore::AppendResult& appended) const;
  // After the batch committed: its states enter the cache (it only ever holds committed state).
  void committed(Decision& decision);
  // After the log refused the batch: every reply that needed the commit becomes `failed`.
  void failed(Decision& decision, const std::string& detail, const std::vector<v1::Command>& commands) const;

  const ProcessorStats& stats() const { return stats_; }
  // A stream's committed state when it is cached (nullptr otherwise); valid until the next
  // decide() or committed(). Only from the thread that runs this processor.
  const domain::AggregateState* cached_state(const std::string& stream_id) const { return cache_.peek(stream_id); }

 private:
  using Working = Decision;
  CommandReply handle(const v1::Command& command, Working& work);
  const domain::AggregateState* load(const std::string& stream_id, Working& work, std::string& error);
  std::string new_event_id();
  void add_snapshots(Decision& work) const;

  std::uint32_t partition_;
  eventstore::EventLog& log_;
  Lookups lookups_;
  AggregateCache cache_;
  std::uint64_t snapshot_every_;  // 0: none
  ProcessorStats stats_;
  std::mt19937_64 random_;
};

}  // namespace orderline::commands
