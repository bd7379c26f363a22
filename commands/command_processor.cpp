#include "commands/command_processor.h"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <unordered_map>

#include "commands/aggregate_loader.h"
#include "domain/snapshot_codec.h"

namespace orderline::commands {

namespace {

CommandReply done(v1::CommandOutcome outcome) {
  CommandReply reply;
  reply.kind = CommandReply::Kind::done;
  reply.outcome = std::move(outcome);
  return reply;
}

CommandReply just(CommandReply::Kind kind, const v1::Command& command, std::string detail = {}) {
  CommandReply reply;
  reply.kind = kind;
  reply.outcome.set_command_id(command.command_id());
  reply.outcome.set_stream_id(command.stream_id());
  reply.outcome.set_error_detail(std::move(detail));
  return reply;
}

v1::CommandOutcome rejected(const v1::Command& command, std::uint64_t version,
                            const domain::Rejection& why) {
  v1::CommandOutcome outcome;
  outcome.set_command_id(command.command_id());
  outcome.set_request_hash(command.request_hash());
  outcome.set_accepted(false);
  outcome.set_stream_id(command.stream_id());
  outcome.set_version(version);
  outcome.set_error_code(why.code);
  outcome.set_error_detail(why.detail);
  outcome.set_error_field(why.field);
  return outcome;
}

}  // namespace

PartitionProcessor::PartitionProcessor(std::uint32_t partition, eventstore::EventLog& log,
                                       Lookups lookups, ProcessorOptions options)
    : partition_(partition),
      log_(log),
      lookups_(std::move(lookups)),
      cache_(options.cache_capacity),
      snapshot_every_(log.keeps_snapshots() ? options.snapshot_every : 0),
      random_(std::random_device{}()) {}

std::string PartitionProcessor::new_event_id() {
  boost::uuids::basic_random_generator<std::mt19937_64> generate(random_);
  return boost::uuids::to_string(generate());
}

PartitionProcessor::Decision PartitionProcessor::decide(const std::vector<v1::Command>& commands) {
  Decision work;
  work.next_offset = log_.end_offset(partition_);
  // Outcomes carry predicted positions (end + records so far); a log whose offsets differ
  // from the prediction (Kafka: transaction markers take offsets) translates them.
  work.batch.predicted_first_offset = work.next_offset;
  work.now_us = lookups_.now_us();
  work.replies.reserve(commands.size());
  work.needs_commit.reserve(commands.size());
  work.batch.outcomes.reserve(commands.size());
  work.batch.records.reserve(commands.size());
  for (const auto& command : commands) {
    const std::size_t outcomes_before = work.batch.outcomes.size();
    work.replies.push_back(handle(command, work));
    work.needs_commit.push_back(work.batch.outcomes.size() != outcomes_before);
  }
  add_snapshots(work);
  return work;
}

// Each due stream's state as of the end of this batch, with the position of its last event
// in it: the snapshot commits with the events it folds in, or not at all.
void PartitionProcessor::add_snapshots(Decision& work) const {
  for (const auto& [stream_id, offset] : work.snapshot_due) {
    const auto& state = work.states.at(stream_id);
    auto bytes = domain::encode_snapshot(state);
    if (!bytes) continue;
    work.batch.snapshots.push_back({stream_id, domain::version_of(state), partition_, offset, std::move(*bytes)});
  }
}

void PartitionProcessor::failed(Decision& decision, const std::string& detail,
                                const std::vector<v1::Command>& commands) const {
  for (std::size_t i = 0; i < decision.replies.size(); ++i) {
    if (decision.needs_commit[i]) decision.replies[i] = just(CommandReply::Kind::failed, commands[i], detail);
  }
}

void PartitionProcessor::committed(Decision& decision) {
  stats_.snapshots_written += decision.batch.snapshots.size();
  stats_.events_appended += decision.batch.records.size();
  for (auto& [stream_id, state] : decision.states) cache_.put(stream_id, std::move(state));
  decision.states.clear();
}

void PartitionProcessor::settle_positions(Decision& decision, const eventstore::AppendResult& appended) const {
  // Keyed by command id so an in-batch retry's reply, a copy of the first outcome, gets the
  // same position.
  const auto& stored = appended.outcome_offsets;
  if (stored.size() != decision.batch.outcomes.size()) return;
  std::unordered_map<std::string_view, std::pair<std::uint64_t, std::uint64_t>> moved;
  for (std::size_t j = 0; j < stored.size(); ++j) {
    const auto& outcome = decision.batch.outcomes[j];
    if (outcome.offset() != stored[j]) moved.emplace(outcome.command_id(), std::pair{outcome.offset(), stored[j]});
  }
  if (moved.empty()) return;
  for (auto& reply : decision.replies) {
    auto it = moved.find(reply.outcome.command_id());
    if (reply.kind == CommandReply::Kind::done && it != moved.end() && reply.outcome.partition() == partition_ &&
        reply.outcome.offset() == it->second.first) {
      reply.outcome.set_offset(it->second.second);
    }
  }
}

std::vector<CommandReply> PartitionProcessor::process(const std::vector<v1::Command>& commands) {
  auto decision = decide(commands);
  if (decision.batch.outcomes.empty()) {
    committed(decision);  // nothing to write; states taken from the cache go back unchanged
    return std::move(decision.replies);
  }
  auto appended = log_.append(partition_, decision.batch);
  if (!appended) {
    // Nothing of this batch is acknowledged: forget its working states and tell every
    // writer the log refused.
    failed(decision, appended.detail, commands);
    return std::move(decision.replies);
  }
  committed(decision);
  // Replies carry the positions the log stored with the outcomes (equal to the prediction in
  // the embedded log).
  settle_positions(decision, *appended.value);
  return std::move(decision.replies);
}

const domain::AggregateState* PartitionProcessor::load(const std::string& stream_id, Working& work,
                                                       std::string& error) {
  if (auto it = work.states.find(stream_id); it != work.states.end()) return &it->second;
  if (auto cached = cache_.take(stream_id)) {
    return &work.states.emplace(stream_id, std::move(*cached)).first->second;
  }
  auto loaded = load_aggregate(log_, stream_id);
  if (!loaded) {
    error = loaded.detail;
    return nullptr;
  }
  ++stats_.loads;
  stats_.loads_from_snapshot += loaded.value->from_snapshot ? 1 : 0;
  stats_.events_replayed += loaded.value->events_folded;
  return &work.states.emplace(stream_id, std::move(loaded.value->state)).first->second;
}

CommandReply PartitionProcessor::handle(const v1::Command& command, Working& work) {
  if (command.deadline_us() != 0 && work.now_us > command.deadline_us()) {
    // The caller has given up (504 outcome_unknown); dropping it keeps a retry safe.
    return just(CommandReply::Kind::timed_out, command, "deadline passed before processing");
  }

  // Idempotency: a command id answers with its first outcome, from this batch or the log.
  std::optional<v1::CommandOutcome> earlier;
  if (auto it = work.outcomes.find(command.command_id()); it != work.outcomes.end()) {
    earlier = work.batch.outcomes[it->second];
  } else {
    auto found = log_.find_outcome(command.command_id());
    if (!found) return just(CommandReply::Kind::failed, command, found.detail);
    earlier = std::move(*found.value);
  }
  if (earlier) {
    if (earlier->request_hash() != command.request_hash()) {
      return done(rejected(command, earlier->version(),
                           {"idempotency_key_reused",
                            "this Idempotency-Key was used before with a different request", ""}));
    }
    return done(std::move(*earlier));
  }

  std::string error;
  const auto* loaded = load(command.stream_id(), work, error);
  if (loaded == nullptr) return just(CommandReply::Kind::failed, command, error);
  auto& state = work.states.at(command.stream_id());
  const std::uint64_t version = domain::version_of(state);

  v1::CommandOutcome outcome;
  if (command.expected_version() >= 0 &&
      static_cast<std::uint64_t>(command.expected_version()) != version) {
    outcome = rejected(command, version,
                       {"version_conflict",
                        "expected version " + std::to_string(command.expected_version()) +
                            " but the stream is at version " + std::to_string(version),
                        ""});
  } else {
    domain::DecideContext ctx{work.now_us, lookups_.catalogue, lookups_.customer_exists, lookups_.saga};
    auto decision = domain::decide(state, command, ctx);
    if (decision.rejection) {
      outcome = rejected(command, version, *decision.rejection);
    } else {
      v1::EventEnvelope envelope;
      const std::uint64_t version_before = version;
      for (std::size_t i = 0; i < decision.events.size(); ++i) {
        auto& event = decision.events[i];
        domain::evolve(state, event);
        envelope.Clear();
        envelope.set_event_id(new_event_id());
        envelope.set_stream_id(command.stream_id());
        envelope.set_stream_version(domain::version_of(state));
        envelope.set_type(domain::event_type(event));
        envelope.set_schema_version(domain::schema_version(event));
        // Business time: now, unless the event happened long ago (imported history).
        envelope.set_occurred_at_us(i < decision.occurred_at_us.size() ? decision.occurred_at_us[i] : work.now_us);
        envelope.set_correlation_id(command.correlation_id());
        envelope.set_causation_id(command.command_id());
        envelope.set_command_id(command.command_id());
        envelope.set_actor(command.actor());
        event.SerializeToString(envelope.mutable_payload());
        work.batch.records.push_back(
            {command.stream_id(), envelope.SerializeAsString(), envelope.stream_version()});
        ++work.next_offset;
      }
      if (!decision.events.empty() && snapshot_every_ != 0) {
        const std::uint64_t after = domain::version_of(state);
        auto due = work.snapshot_due.find(command.stream_id());
        if (due != work.snapshot_due.end()) {
          due->second = work.next_offset - 1;  // the snapshot moves to the stream's latest event
        } else if (after / snapshot_every_ != version_before / snapshot_every_) {
          work.snapshot_due.emplace(command.stream_id(), work.next_offset - 1);
        }
      }
      outcome.set_command_id(command.command_id());
      outcome.set_request_hash(command.request_hash());
      outcome.set_accepted(true);
      outcome.set_stream_id(command.stream_id());
      outcome.set_version(domain::version_of(state));
      outcome.set_status(domain::status_of(state));
    }
  }
  // Every outcome carries the partition end after it, so a reader can wait for the write
  // (or, for a rejection, for everything that was there when it was decided).
  outcome.set_partition(partition_);
  outcome.set_offset(work.next_offset);
  outcome.set_recorded_at_us(work.now_us);
  // The batch keeps the outcome; the reply gets the one copy it needs (outcomes are a dozen
  // heap strings, copied per command on the hot path).
  work.outcomes.emplace(command.command_id(), work.batch.outcomes.size());
  work.batch.outcomes.push_back(std::move(outcome));
  return done(work.batch.outcomes.back());
}

}  // namespace orderline::commands
