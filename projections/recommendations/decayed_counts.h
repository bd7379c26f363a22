#pragma once
// Time-decayed popularity kept as exact integers: the orders of each business week. The decay
// (each order weighs 2^(-age / half-life)) is applied when the counts are read, never stored,
// so what is stored is a function of the live orders alone, whatever order they were folded in
// (live partition by partition, a rebuild, a restore): a rebuild equals the live read model
// byte for byte. A floating-point sum kept at a moving reference time could not promise that:
// its last bits depended on the order of the additions.
//
// A week's orders all weigh as of the middle of the week, so a value is off by at most a
// factor 2^(3.5 days / half-life) (8 % for a 30-day half-life): fine for ranking, which is all
// it is used for; an exact weight would need the time of every order.
//
//   DecayedCounts c;
//   c.add(t0);  c.add(t0 + 4 weeks);        // two weeks with one order each
//   c.value_at(t0 + 4 weeks, 28 days)       // ~1.5: the older order has lost half its weight
//   c.remove(t0);                           // exactly as if it had never been added
#include <cstdint>
#include <utility>
#include <vector>

namespace orderline::recommendations {

struct DecayedCounts {
  static constexpr std::int64_t kWeekUs = 7LL * 24 * 3600 * 1000 * 1000;

  // (week, orders): week = floor(business time / kWeekUs) since the Unix epoch; newest week
  // first, every count > 0.
  std::vector<std::pair<std::int64_t, std::int64_t>> weeks;

  void add(std::int64_t at_us);
  // Takes back one order of at_us's week (nothing when that week holds none).
  void remove(std::int64_t at_us);
  // Sum over the weeks of orders * 2^(-age / half_life_us), age from the middle of the week to
  // now_us (never negative). Weeks older than 64 half-lives are skipped (weight < 2^-64).
  double value_at(std::int64_t now_us, double half_life_us) const;

  static std::int64_t week_of(std::int64_t at_us);
  friend bool operator==(const DecayedCounts&, const DecayedCounts&) = default;
};

}  // namespace orderline::recommendations
