#pragma once
// Rebuilds one aggregate from the log on a cache miss: from its newest usable snapshot and
// the events after it, or from the whole stream. A snapshot is only a shortcut: one that
// does not decode, was written under another state schema (domain::kStateSchemaVersion) or
// does not line up with the events after it is ignored and the stream replayed in full.
//
//   auto loaded = load_aggregate(log, "product-SKU-1");
//   if (loaded) use(loaded.value->state);  // loaded.value->from_snapshot: the shortcut was taken
#include <string>

#include "domain/aggregate.h"
#include "eventstore/event_log.h"

namespace orderline::commands {

struct LoadedAggregate {
  domain::AggregateState state;
  bool from_snapshot = false;
  std::size_t events_folded = 0;  // events replayed (after the snapshot, if one was used)
};

eventstore::LogResult<LoadedAggregate> load_aggregate(const eventstore::EventLog& log, const std::string& stream_id);

// The whole stream folded from its first event, snapshots ignored (the reference a snapshot
// must agree with).
eventstore::LogResult<LoadedAggregate> replay_aggregate(const eventstore::EventLog& log, const std::string& stream_id);

}  // namespace orderline::commands
