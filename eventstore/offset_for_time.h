#pragma once
// The offsets-for-time search shared by the embedded log and its offline reader: log times
// never decrease within a partition (the log stamps each append with max(now, last)), so the
// first offset at or after a time is found by a binary search in O(log n) point reads.
#include <cstdint>
#include <optional>

namespace orderline::eventstore {

// First offset in [0, end) whose log time is >= time_us, or `end` when there is none.
// log_time_at(offset) returns that record's log time, or nullopt when it cannot be read
// (the search then answers nullopt; the caller kept the reason).
template <typename LogTimeAt>
std::optional<std::uint64_t> first_offset_at_or_after(std::uint64_t end, std::int64_t time_us,
                                                      LogTimeAt&& log_time_at) {
  std::uint64_t lo = 0, hi = end;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const std::optional<std::int64_t> time = log_time_at(mid);
    if (!time) return std::nullopt;
    if (*time < time_us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace orderline::eventstore
