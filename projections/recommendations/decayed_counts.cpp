#include "projections/recommendations/decayed_counts.h"

#include <algorithm>
#include <cmath>

namespace orderline::recommendations {

std::int64_t DecayedCounts::week_of(std::int64_t at_us) {
  // Floor division: business times before 1970 (hostile or not) land in their own week too.
  const std::int64_t week = at_us / kWeekUs;
  return (at_us % kWeekUs != 0 && at_us < 0) ? week - 1 : week;
}

namespace {
// Newest first: the first entry at or after `week` in that order.
auto find(std::vector<std::pair<std::int64_t, std::int64_t>>& weeks, std::int64_t week) {
  return std::lower_bound(weeks.begin(), weeks.end(), week,
                          [](const auto& entry, std::int64_t w) { return entry.first > w; });
}
}  // namespace

void DecayedCounts::add(std::int64_t at_us) {
  const auto week = week_of(at_us);
  auto it = find(weeks, week);
  if (it != weeks.end() && it->first == week) {
    ++it->second;
  } else {
    weeks.insert(it, {week, 1});
  }
}

void DecayedCounts::remove(std::int64_t at_us) {
  const auto week = week_of(at_us);
  auto it = find(weeks, week);
  if (it == weeks.end() || it->first != week) return;
  if (--it->second <= 0) weeks.erase(it);
}

double DecayedCounts::value_at(std::int64_t now_us, double half_life_us) const {
  double sum = 0;
  for (const auto& [week, orders] : weeks) {
    const double middle_us = (static_cast<double>(week) + 0.5) * static_cast<double>(kWeekUs);
    const double half_lives = std::max(0.0, (static_cast<double>(now_us) - middle_us) / half_life_us);
    if (half_lives > 64) break;  // and every older week too
    sum += static_cast<double>(orders) * std::exp2(-half_lives);
  }
  return sum;
}

}  // namespace orderline::recommendations
