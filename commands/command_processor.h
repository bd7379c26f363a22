#pragma once
// Decides a batch of commands for one partition and commits them in one append: events,
// stream index and every command's outcome together (DESIGN rules 2-4). Mode-independent:
// the embedded bus calls it from a partition's worker; a Kafka processor would call it
// inside a transaction.
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
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

 private:
  struct Working;  // per-batch scratch state
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
