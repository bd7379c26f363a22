#pragma once
// A projection folds events into read-model keys. The projector runtime hands every event
// of the log to every projection, inside one batch that also carries the checkpoints, so a
// crash never applies an event twice or skips one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event_log.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"

namespace orderline::projections {

// The pending batch: reads see the batch's own writes first, then the database.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void erase(std::string_view key) = 0;
  // Adds a counter row (counter_row.h) to the row at `key` without reading it: the projector's
  // RocksDB batch writes a merge. This default reads, adds and writes (in-memory batches); it
  // throws std::runtime_error when the stored value is not a counter row.
  virtual void add_counters(std::string_view key, std::string_view row);
};

struct EventContext {
  const eventstore::LogRecord& record;
  const v1::EventEnvelope& envelope;
  const v1::EventPayload& event;
};

class Projection {
 public:
  virtual ~Projection() = default;
  virtual std::string name() const = 0;
  // The key prefixes (keys.h) this projection writes, e.g. {"o/"}. Version 1 of a projection
  // is dropped by deleting these ranges after a rebuild replaced it; a projection reads only
  // its own keys, so it can be rebuilt alone.
  virtual std::vector<std::string> key_prefixes() const = 0;
  virtual void apply(const EventContext& context, BatchWriter& writer) = 0;
  // The layout of the values it writes. Bump it when a new layout cannot read the old one: a
  // projector that finds a version of this projection written in another format drops it and
  // folds it again from the start (in place, as reset does; Projector's constructor).
  virtual int format() const { return 1; }
};

}  // namespace orderline::projections
