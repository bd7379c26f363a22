// PositionWaiters: callbacks fire exactly once, only when every partition of the position is
// reached, and cancelled ones never.
#include <gtest/gtest.h>

#include "projections/position_waiters.h"

namespace orderline::projections {
namespace {

eventstore::PositionVector at(std::map<std::uint32_t, std::uint64_t> offsets) {
  eventstore::PositionVector p;
  p.offsets = std::move(offsets);
  return p;
}

TEST(PositionWaiters, FiresAtOnceWhenAlreadyReached) {
  PositionWaiters waiters(4);
  waiters.advance(1, 10);
  int fired = 0;
  EXPECT_EQ(waiters.add(at({{1, 10}}), [&] { ++fired; }), 0u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(waiters.add(at({}), [&] { ++fired; }), 0u);  // the empty position is always reached
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(waiters.waiting(), 0u);
}

TEST(PositionWaiters, FiresOnceWhenEveryPartitionIsReached) {
  PositionWaiters waiters(4);
  int fired = 0;
  const auto ticket = waiters.add(at({{0, 5}, {3, 7}}), [&] { ++fired; });
  EXPECT_NE(ticket, 0u);
  waiters.advance(0, 4);
  EXPECT_EQ(fired, 0);
  waiters.advance(0, 5);  // partition 0 done; still waiting for 3
  EXPECT_EQ(fired, 0);
  waiters.advance(3, 6);
  EXPECT_EQ(fired, 0);
  waiters.advance(2, 100);  // an unrelated partition
  EXPECT_EQ(fired, 0);
  waiters.advance(3, 9);
  EXPECT_EQ(fired, 1);
  waiters.advance(3, 10);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(waiters.waiting(), 0u);
  waiters.cancel(ticket);  // after firing: harmless
}

TEST(PositionWaiters, AdvanceWakesOnlyWhatItSatisfiesInOffsetOrder) {
  PositionWaiters waiters(2);
  std::vector<int> order;
  waiters.add(at({{1, 30}}), [&] { order.push_back(30); });
  waiters.add(at({{1, 10}}), [&] { order.push_back(10); });
  waiters.add(at({{1, 20}}), [&] { order.push_back(20); });
  waiters.advance(1, 25);
  EXPECT_EQ(order, (std::vector<int>{10, 20}));
  EXPECT_EQ(waiters.waiting(), 1u);
  waiters.advance(1, 30);
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST(PositionWaiters, CancelledWaitersNeverFire) {
  PositionWaiters waiters(2);
  int fired = 0;
  const auto a = waiters.add(at({{0, 3}, {1, 3}}), [&] { ++fired; });
  waiters.add(at({{0, 3}}), [&] { fired += 10; });
  waiters.advance(0, 3);  // a moves to partition 1's queue
  EXPECT_EQ(fired, 10);
  waiters.cancel(a);
  waiters.advance(1, 3);
  EXPECT_EQ(fired, 10);
  EXPECT_EQ(waiters.waiting(), 0u);
}

TEST(PositionWaiters, UnknownPartitionWaitsUntilCancelled) {
  PositionWaiters waiters(2);
  int fired = 0;
  const auto ticket = waiters.add(at({{9, 1}}), [&] { ++fired; });
  waiters.advance(1, 100);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(waiters.waiting(), 1u);
  waiters.cancel(ticket);
  EXPECT_EQ(waiters.waiting(), 0u);
}

TEST(PositionWaiters, ACallbackMayAddAnotherWaiter) {
  PositionWaiters waiters(1);
  int fired = 0;
  waiters.add(at({{0, 1}}), [&] { waiters.add(at({{0, 2}}), [&] { ++fired; }); });
  waiters.advance(0, 1);
  EXPECT_EQ(fired, 0);
  waiters.advance(0, 2);
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace orderline::projections
