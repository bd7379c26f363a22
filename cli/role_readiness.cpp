#include "cli/role_readiness.h"

namespace orderline::cli {

void ReadinessReport::failed(const std::string& check, const std::string& state, const std::string& reason) {
  ready_ = false;
  checks_.emplace_back(check, state);
  reason_ += (reason_.empty() ? "" : "; ") + reason;
}

std::string partition_list(const std::set<std::uint32_t>& partitions) {
  std::string names;
  for (auto p : partitions) names += (names.empty() ? "" : ",") + std::to_string(p);
  return names;
}

namespace {

// True when a broker answered.
bool check_brokers(ReadinessReport& report, const eventstore::KafkaEventLog& log) {
  if (auto why = log.probe(kBrokerProbeTimeout); !why.empty()) {
    report.failed("kafka", "unreachable: " + why, "Kafka unreachable: " + why);
    return false;
  }
  report.ok("kafka");
  return true;
}

}  // namespace

gateway::Readiness gateway_readiness(const eventstore::KafkaEventLog& log, const eventstore::PositionVector& applied) {
  ReadinessReport report;
  if (!check_brokers(report, log)) {
    report.failed("read_models", "unknown", "read-model lag unknown while Kafka is unreachable");
    return report.done();
  }
  std::uint64_t lag = 0;
  for (std::uint32_t p = 0; p < log.partition_count(); ++p) {
    const auto end = log.end_offset(p);
    const auto done = applied.offsets.count(p) ? applied.offsets.at(p) : 0;
    lag += end > done ? end - done : 0;
  }
  if (lag > kMaxReadyLag) {
    report.failed("read_models", std::to_string(lag) + " offsets behind",
                  "read models are " + std::to_string(lag) + " offsets behind the log");
  } else {
    report.ok("read_models");
  }
  return report.done();
}

gateway::Readiness processor_readiness(const eventstore::KafkaEventLog& log,
                                       const commands::KafkaProcessorStats& stats, const std::string& fatal) {
  ReadinessReport report;
  check_brokers(report, log);
  if (!fatal.empty()) {
    report.failed("processor", "stopped: " + fatal, "processor stopped: " + fatal);
  } else {
    report.ok("processor");
  }
  if (!stats.restoring.empty()) {
    const auto names = partition_list(stats.restoring);
    report.failed("partitions", "restoring [" + names + "]", "restoring partitions [" + names + "]");
  } else if (stats.owned.empty()) {
    // A processor beyond the partition count stays here: it is a standby, not serving.
    report.failed("partitions", "none assigned", "no partitions assigned (joining the group, or a standby)");
  } else {
    report.ok("partitions");
  }
  return report.done();
}

gateway::Readiness projector_readiness(const eventstore::KafkaEventLog& log, const ProjectorState& state) {
  ReadinessReport report;
  const bool brokers = check_brokers(report, log);
  if (state.owned.empty()) {
    report.failed("partitions", "none assigned", "no partitions assigned (joining the group, or a standby)");
  } else {
    report.ok("partitions");
  }
  if (!state.health) {
    report.failed("postgres", "not started", "PostgreSQL projector not started");
  } else if (state.health->fenced || state.health->stopped) {
    report.failed("postgres", "stopped: " + state.health->error, "PostgreSQL projector stopped: " + state.health->error);
  } else if (!state.health->connected) {
    const auto why = state.health->error.empty() ? std::string("connecting") : state.health->error;
    report.failed("postgres", "unreachable: " + why, "PostgreSQL unreachable: " + why);
  } else {
    report.ok("postgres");
  }
  if (!brokers) {
    // The log's end is not known without a broker (asking would wait for the request timeout).
    report.failed("lag", "unknown", "lag unknown while Kafka is unreachable");
    return report.done();
  }
  std::uint64_t lag = 0;
  for (auto p : state.owned) {
    const auto end = log.end_offset(p);
    const auto done = p < state.checkpoints.size() ? state.checkpoints[p] : 0;
    lag += end > done ? end - done : 0;
  }
  if (lag > kMaxReadyLag) {
    report.failed("lag", std::to_string(lag) + " events behind",
                  "PostgreSQL read models are " + std::to_string(lag) + " events behind the log");
  } else {
    report.ok("lag");
  }
  return report.done();
}

gateway::Readiness saga_readiness(const eventstore::KafkaEventLog& log, const std::set<std::uint32_t>& owned,
                                  bool running) {
  ReadinessReport report;
  check_brokers(report, log);
  if (running) {
    report.ok("saga");
  } else {
    report.failed("saga", "standby: owns [" + partition_list(owned) + "]",
                  "not running: the saga group gave it partitions [" + partition_list(owned) +
                      "], not 0 (joining, or another saga runs)");
  }
  return report.done();
}

}  // namespace orderline::cli
