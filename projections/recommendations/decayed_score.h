#pragma once
// A sum of events that each lose half their weight every half-life of business time, kept
// exactly under additions and removals with two numbers: the sum as seen at a reference time.
// Storing the sum at a moving reference (the newest event) keeps the numbers near 1 whatever
// the span of history, where a sum of 2^(t/h) from a fixed epoch would overflow.
//
//   DecayedScore s;                       // half-life 30 days
//   s.add(t0, h);  s.add(t0 + 30d, h);    // value_at(t0 + 30d, h) == 1.5
//   s.remove(t0, h);                      // value_at(t0 + 30d, h) == 1.0
#include <cstdint>

namespace orderline::recommendations {

struct DecayedScore {
  double value = 0;        // the sum at reference_us
  std::int64_t reference_us = 0;

  void add(std::int64_t at_us, double half_life_us) { shift(at_us, half_life_us, +1); }
  void remove(std::int64_t at_us, double half_life_us) { shift(at_us, half_life_us, -1); }
  double value_at(std::int64_t now_us, double half_life_us) const;

 private:
  void shift(std::int64_t at_us, double half_life_us, int sign);
  void settle();
};

}  // namespace orderline::recommendations
