#include "projections/recommendations/decayed_score.h"

#include <algorithm>
#include <cmath>

namespace orderline::recommendations {

namespace {
double decay(std::int64_t from_us, std::int64_t to_us, double half_life_us) {
  return std::exp2(-static_cast<double>(to_us - from_us) / half_life_us);
}
}  // namespace

double DecayedScore::value_at(std::int64_t now_us, double half_life_us) const {
  if (value <= 0) return 0;
  return value * decay(reference_us, now_us, half_life_us);
}

void DecayedScore::shift(std::int64_t at_us, double half_life_us, int sign) {
  if (value <= 0 && sign > 0) {
    value = 1;
    reference_us = at_us;
    return;
  }
  if (at_us > reference_us && sign > 0) {
    value = value * decay(reference_us, at_us, half_life_us) + 1;
    reference_us = at_us;
    return settle();
  }
  value += sign * decay(at_us, reference_us, half_life_us);
  // A removal of the last event leaves rounding dust, not a negative score.
  if (value < 1e-9) value = 0;
  value = std::max(0.0, value);
  settle();
}

// Orders of different partitions reach the fold in different interleavings (live, rebuilt,
// restored), and floating-point sums depend on their order in the last bits. Rounding each
// stored sum to 1e-9 makes the stored bytes agree most of the time, not always (the rounding
// of each step depends on the path): a rebuild equals the live read model to a relative 1e-9,
// which backup_restore_test checks.
void DecayedScore::settle() { value = std::round(value * 1e9) / 1e9; }

}  // namespace orderline::recommendations
