#include <gtest/gtest.h>

#include "eventstore/partitioning.h"
#include "eventstore/position.h"

namespace orderline::eventstore {
namespace {

// Kafka's own vectors (UtilsTest.testMurmur2), as signed Java ints.
TEST(Partitioning, Murmur2MatchesKafka) {
  const std::pair<const char*, std::int32_t> cases[] = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [key, expected] : cases) {
    EXPECT_EQ(static_cast<std::int32_t>(murmur2(key)), expected) << key;
  }
}

TEST(Partitioning, PartitionIsPositiveModulo) {
  // toPositive(-973932308) % 8 = (−973932308 & 0x7fffffff) % 8
  EXPECT_EQ(partition_for("21", 8), (static_cast<std::uint32_t>(-973932308) & 0x7fffffffu) % 8);
  for (std::uint32_t n : {1u, 3u, 8u, 32u}) {
    for (int i = 0; i < 1000; ++i) EXPECT_LT(partition_for("order-" + std::to_string(i), n), n);
  }
}

TEST(Position, RoundTripsAndIsOpaque) {
  PositionVector position;
  position.offsets = {{0, 0}, {3, 17}, {7, 1ull << 40}};
  const auto token = encode_position(position);
  EXPECT_EQ(token.rfind("p1.", 0), 0u);
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", 0),
            std::string::npos);
  auto decoded = decode_position(token);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->offsets, position.offsets);
}

TEST(Position, RejectsGarbage) {
  for (const char* bad : {"", "p1.", "p2.AA", "p1.!!", "hello", "p1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "p1.Ag"}) {
    EXPECT_FALSE(decode_position(bad)) << bad;
  }
}

TEST(Position, CoversComparesEveryEntry) {
  PositionVector reached{{{0, 5}, {1, 9}}};
  EXPECT_TRUE(reached.covers(PositionVector{{{0, 5}}}));
  EXPECT_TRUE(reached.covers(PositionVector{{{1, 3}, {0, 1}}}));
  EXPECT_FALSE(reached.covers(PositionVector{{{0, 6}}}));
  EXPECT_FALSE(reached.covers(PositionVector{{{2, 1}}}));
  EXPECT_TRUE(reached.covers(PositionVector{{{2, 0}}}));
  reached.merge_max(PositionVector{{{0, 7}, {2, 1}}});
  EXPECT_EQ(reached.offsets, (std::map<std::uint32_t, std::uint64_t>{{0, 7}, {1, 9}, {2, 1}}));
}

}  // namespace
}  // namespace orderline::eventstore
