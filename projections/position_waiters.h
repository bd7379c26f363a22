#pragma once
// Callbacks that fire once the read models reach a position, so a query with after=TOKEN
// (or anything else that needs "my write is visible") waits without a thread or a polling
// timer: the projector's publish() wakes exactly the waiters it satisfied.
//
//   PositionWaiters waiters(partitions);
//   auto ticket = waiters.add(position, [] { /* post the answer to the connection */ });
//   ...                                      // projector thread:
//   waiters.advance(partition, next_offset);  // runs the callbacks it satisfied
//   waiters.cancel(ticket);                   // the caller gave up (no-op once fired)
//
// Each waiter sits in the queue of one partition it still needs (keyed by the offset it
// needs there), so advance() touches only the waiters it can wake, not every waiter.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "eventstore/position.h"

namespace orderline::projections {

using WaitTicket = std::uint64_t;  // 0: nothing to cancel (the callback already ran)

class PositionWaiters {
 public:
  explicit PositionWaiters(std::uint32_t partitions);

  // Runs `ready` once every entry of `position` is reached: at once, on the caller's thread,
  // when it already is; else on the thread that calls advance(). `ready` must be cheap and
  // must not block (post the real work elsewhere). A partition the store does not have is
  // never reached: such a waiter waits until cancelled.
  WaitTicket add(const eventstore::PositionVector& position, std::function<void()> ready);
  // Forgets a waiter that has not fired; harmless when it has.
  void cancel(WaitTicket ticket);
  // Partition `partition` has been folded up to `next_offset` (exclusive).
  void advance(std::uint32_t partition, std::uint64_t next_offset);

  std::size_t waiting() const;

 private:
  struct Waiter {
    eventstore::PositionVector position;
    std::function<void()> ready;
    std::uint32_t partition = 0;  // the queue it sits in
    std::multimap<std::uint64_t, WaitTicket>::iterator slot;
  };
  // First partition of `position` not reached yet; nullopt when all are. Under mutex_.
  bool first_unmet(const eventstore::PositionVector& position, std::uint32_t& partition,
                   std::uint64_t& offset) const;

  mutable std::mutex mutex_;
  std::vector<std::uint64_t> reached_;                                 // per partition
  std::vector<std::multimap<std::uint64_t, WaitTicket>> queues_;       // per partition
  std::unordered_map<WaitTicket, Waiter> waiters_;
  WaitTicket next_ticket_ = 1;
};

}  // namespace orderline::projections
