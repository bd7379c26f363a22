#pragma once
// /readyz of the roles without the API, as the gateway's Readiness (every check named, "ok"
// or why not, and one line of reasons), so a processor or projector that is not ready says why:
// the brokers do not answer, partitions are not assigned or still restoring, PostgreSQL is
// down, the read models are behind.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands/kafka/kafka_processor.h"
#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/position.h"
#include "gateway/server.h"
#include "projections/postgres/postgres_projector.h"

namespace orderline::cli {

// Collects named checks into a Readiness.
class ReadinessReport {
 public:
  void ok(const std::string& check) { checks_.emplace_back(check, "ok"); }
  // `state` for the check's entry, `reason` for the sentence in "reason".
  void failed(const std::string& check, const std::string& state, const std::string& reason);
  gateway::Readiness done() const { return {ready_, reason_, checks_}; }

 private:
  bool ready_ = true;
  std::string reason_;
  std::vector<std::pair<std::string, std::string>> checks_;
};

// How long a readiness probe waits for a broker (a probe must answer well within its timeout).
inline constexpr std::chrono::milliseconds kBrokerProbeTimeout{1000};
// Beyond this many events behind the log, a projector is not ready (as orderd serve's read models).
inline constexpr std::uint64_t kMaxReadyLag = 100'000;

// "0,3,5"
std::string partition_list(const std::set<std::uint32_t>& partitions);

// kafka: a broker answers; read_models: at most kMaxReadyLag offsets behind the log, summed
// over partitions (`applied`: the read models' checkpoints).
gateway::Readiness gateway_readiness(const eventstore::KafkaEventLog& log, const eventstore::PositionVector& applied);

// kafka: a broker answers; processor: not stopped (fenced); partitions: assigned, none restoring.
gateway::Readiness processor_readiness(const eventstore::KafkaEventLog& log,
                                       const commands::KafkaProcessorStats& stats, const std::string& fatal);

// What the projector role knows of itself at the moment of the probe.
struct ProjectorState {
  std::set<std::uint32_t> owned;                          // partitions the group gave it
  std::optional<projections::pg::PostgresProjector::Health> health;  // unset: no projector running
  std::vector<std::uint64_t> checkpoints;                 // per partition (all of them)
};
// kafka: a broker answers; partitions: some assigned; postgres: connected, not fenced;
// lag: the owned partitions at most kMaxReadyLag events behind the log.
gateway::Readiness projector_readiness(const eventstore::KafkaEventLog& log, const ProjectorState& state);

// kafka: a broker answers; saga: running, which it does only while it owns partition 0 in
// the group <prefix>.saga (otherwise it is joining, or a standby beside another saga).
gateway::Readiness saga_readiness(const eventstore::KafkaEventLog& log, const std::set<std::uint32_t>& owned,
                                  bool running);

}  // namespace orderline::cli
