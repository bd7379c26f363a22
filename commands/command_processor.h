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
    std::unordered_map<std::string, v1::CommandOutcome> outcomes;     // decided in this batch
    eventstore::AppendBatch batch;  // empty outcomes: nothing to append
    std::vector<CommandReply> replies;  // one per command, in order
    std::vector<bool> needs_commit;     // replies that are true only once the batch commits
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

 private:
  using Working = Decision;
  CommandReply handle(const v1::Command& command, Working& work);
  const domain::AggregateState* load(const std::string& stream_id, Working& work, std::string& error);
  std::string new_event_id();

  std::uint32_t partition_;
  eventstore::EventLog& log_;
  Lookups lookups_;
  AggregateCache cache_;
  std::mt19937_64 random_;
};

}  // namespace orderline::commands
