#pragma once
// How far behind the log each projection is, per partition: in events (log end - checkpoint)
// and in seconds (age, in log time, of the oldest event not folded yet). One computation for
// the metrics (/metrics) and the operators' listing (GET /api/v1/admin/projections).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/event_log.h"
#include "projections/projector.h"

namespace orderline::projections {

struct ProjectionLag {
  std::string projection;
  std::uint32_t partition = 0;
  std::uint64_t events = 0;
  double seconds = 0;
};

// log_time_us(partition, offset): the log time of a record, nullopt if unreadable (its lag in
// seconds is then left at 0 rather than guessed).
using LogTimeReader = std::function<std::optional<std::int64_t>(std::uint32_t, std::uint64_t)>;

// The lag of every projection of `stats` on every partition.
std::vector<ProjectionLag> projection_lags(const ProjectorStats& stats, const std::vector<std::uint64_t>& log_ends,
                                           std::int64_t now_us, const LogTimeReader& log_time_us);

// Reads one record of `log` for its time.
LogTimeReader log_time_reader(const eventstore::EventLog& log);

}  // namespace orderline::projections
