#include "projections/projection_lag.h"

#include <algorithm>
#include <map>
#include <utility>

namespace orderline::projections {

std::vector<ProjectionLag> projection_lags(const ProjectorStats& stats, const std::vector<std::uint64_t>& log_ends,
                                           std::int64_t now_us, const LogTimeReader& log_time_us) {
  std::vector<ProjectionLag> out;
  // Projections usually share checkpoints: read each first-unfolded record once.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::optional<std::int64_t>> times;
  for (const auto& projection : stats.projections) {
    for (std::uint32_t p = 0; p < projection.checkpoints.size() && p < log_ends.size(); ++p) {
      const auto& only = projection.partitions;
      if (!only.empty() && std::find(only.begin(), only.end(), p) == only.end()) continue;
      ProjectionLag lag{projection.name, p, 0, 0};
      const auto checkpoint = projection.checkpoints[p];
      if (log_ends[p] > checkpoint) {
        lag.events = log_ends[p] - checkpoint;
        auto [it, fresh] = times.try_emplace({p, checkpoint});
        if (fresh) it->second = log_time_us(p, checkpoint);
        if (it->second && now_us > *it->second) lag.seconds = static_cast<double>(now_us - *it->second) / 1e6;
      }
      out.push_back(std::move(lag));
    }
  }
  return out;
}

LogTimeReader log_time_reader(const eventstore::EventLog& log) {
  return [&log](std::uint32_t partition, std::uint64_t offset) -> std::optional<std::int64_t> {
    auto records = log.read(partition, offset, 1);
    if (!records || records.value->empty()) return std::nullopt;
    return records.value->front().log_time_us;
  };
}

}  // namespace orderline::projections
