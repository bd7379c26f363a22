#pragma once
// Outcome retention of the embedded log (DESIGN write-side rule 4: outcomes are kept at least
// 24 hours). A RocksDB compaction filter on the outcomes column family drops an outcome once
// its recorded_at_us is older than the retention: no index, no extra write per command, and
// the work happens in compactions that run anyway. Compactions are not on a timetable, so an
// outcome may outlive its retention (never the other way round); periodic compaction of the
// family bounds how long (kOutcomePeriodicCompaction), and EmbeddedLog::expire_outcomes()
// applies the retention at once.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace rocksdb {
class CompactionFilter;
}

namespace orderline::eventstore {

inline constexpr std::chrono::hours kMinOutcomeRetention{24};
inline constexpr std::chrono::hours kDefaultOutcomeRetention{7 * 24};
// SST files of the outcomes family older than this are recompacted (and filtered).
inline constexpr std::chrono::hours kOutcomePeriodicCompaction{24};

// The filter drops outcomes recorded before now_us() - retention. An outcome without a
// recorded time (0) is kept: its age is unknown. now_us must be thread-safe (compaction threads).
std::unique_ptr<rocksdb::CompactionFilter> make_outcome_retention_filter(std::chrono::seconds retention,
                                                                          std::function<std::int64_t()> now_us);

}  // namespace orderline::eventstore
