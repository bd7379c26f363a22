// observability/series_cache.h: the lock-free lookup of a metric's series by label values. Each
// label set gets one series, made once, found again by value (not by address), also past the
// table's lock-free part and from threads racing on the same labels.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "observability/series_cache.h"

namespace orderline::observability {
namespace {

TEST(SeriesCache, OneSeriesPerLabelSetFoundByValue) {
  SeriesCache<2, int> cache;
  int made = 0;
  auto make = [&] { return ++made; };
  const int a = cache.get({"GET", "/a"}, make);
  const int b = cache.get({"GET", "/b"}, make);
  // Same values from other buffers: the same series, nothing made.
  const std::string method = "GET", route = "/a";
  EXPECT_EQ(cache.get({method, route}, make), a);
  EXPECT_NE(a, b);
  // Order and boundaries of the values matter.
  const int swapped = cache.get({"/a", "GET"}, make);
  const int shifted = cache.get({"GET/", "a"}, make);
  EXPECT_NE(swapped, a);
  EXPECT_NE(shifted, a);
  EXPECT_EQ(made, 4);
}

TEST(SeriesCache, MoreLabelSetsThanTheLockFreeTableHolds) {
  SeriesCache<1, int> cache;
  int made = 0;
  constexpr int kSets = 1000;  // the table takes 192 before the map under the mutex
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kSets; ++i) {
      const std::string label = "v" + std::to_string(i);
      EXPECT_EQ(cache.get({label}, [&] { ++made; return i; }), i) << label;
    }
  }
  EXPECT_EQ(made, kSets);  // the second round made none
}

TEST(SeriesCache, ThreadsRacingOnTheSameLabelsShareOneSeries) {
  SeriesCache<1, int> cache;
  std::atomic<int> made{0};
  constexpr int kThreads = 4, kSets = 300;
  std::vector<std::vector<int>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSets; ++i) {
        seen[t].push_back(cache.get({"s" + std::to_string(i)}, [&] { return made.fetch_add(1); }));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(made.load(), kSets);
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]);
  EXPECT_EQ(std::set<int>(seen[0].begin(), seen[0].end()).size(), static_cast<std::size_t>(kSets));
}

}  // namespace
}  // namespace orderline::observability
