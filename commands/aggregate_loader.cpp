#include "commands/aggregate_loader.h"

#include "domain/snapshot_codec.h"

namespace orderline::commands {
namespace {

using R = eventstore::LogResult<LoadedAggregate>;

// Folds `records` into `state`. With `contiguous`, each event must carry the next stream
// version (after a snapshot: proves the tail starts right after it); false when not.
bool fold(const std::vector<eventstore::LogRecord>& records, domain::AggregateState& state, bool contiguous,
          std::string& error) {
  v1::EventEnvelope envelope;
  v1::EventPayload payload;
  for (const auto& record : records) {
    if (!envelope.ParseFromString(record.value) || !payload.ParseFromString(envelope.payload())) {
      error = "undecodable event in stream " + record.key;
      return false;
    }
    if (contiguous && envelope.stream_version() != domain::version_of(state) + 1) return false;
    domain::evolve(state, payload);
  }
  return true;
}

}  // namespace

R replay_aggregate(const eventstore::EventLog& log, const std::string& stream_id) {
  auto records = log.read_stream(stream_id);
  if (!records) return R::fail(records.error, records.detail);
  LoadedAggregate loaded{domain::initial_state(stream_id), false, records.value->size()};
  std::string error;
  if (!fold(*records.value, loaded.state, false, error)) return R::fail(eventstore::LogError::corrupt, error);
  return R::ok(std::move(loaded));
}

R load_aggregate(const eventstore::EventLog& log, const std::string& stream_id) {
  auto tail = log.read_stream_tail(stream_id);
  if (!tail) return R::fail(tail.error, tail.detail);
  std::string error;
  if (tail.value->snapshot) {
    const auto& snapshot = *tail.value->snapshot;
    auto state = domain::decode_snapshot(stream_id, snapshot.state);
    if (state && domain::version_of(*state) == snapshot.version) {
      LoadedAggregate loaded{std::move(*state), true, tail.value->records.size()};
      if (fold(tail.value->records, loaded.state, true, error)) return R::ok(std::move(loaded));
      if (!error.empty()) return R::fail(eventstore::LogError::corrupt, error);
    }
    return replay_aggregate(log, stream_id);  // stale schema, corrupt, or out of line: replay
  }
  LoadedAggregate loaded{domain::initial_state(stream_id), false, tail.value->records.size()};
  if (!fold(tail.value->records, loaded.state, false, error)) return R::fail(eventstore::LogError::corrupt, error);
  return R::ok(std::move(loaded));
}

}  // namespace orderline::commands
