#include "projections/position_waiters.h"

#include <algorithm>
#include <limits>

namespace orderline::projections {

PositionWaiters::PositionWaiters(std::uint32_t partitions) : reached_(partitions, 0), queues_(partitions) {}

bool PositionWaiters::first_unmet(const eventstore::PositionVector& position, std::uint32_t& partition,
                                  std::uint64_t& offset) const {
  for (const auto& [p, needed] : position.offsets) {
    const bool met = p < reached_.size() && reached_[p] >= needed;
    if (!met) {
      partition = p;
      offset = needed;
      return true;
    }
  }
  return false;
}

WaitTicket PositionWaiters::add(const eventstore::PositionVector& position, std::function<void()> ready) {
  {
    std::lock_guard lock(mutex_);
    std::uint32_t partition = 0;
    std::uint64_t offset = 0;
    if (first_unmet(position, partition, offset)) {
      const WaitTicket ticket = next_ticket_++;
      Waiter waiter{position, std::move(ready), partition, {}};
      // A partition beyond the store's count parks in no queue: only cancel() removes it.
      if (partition < queues_.size()) waiter.slot = queues_[partition].emplace(offset, ticket);
      else waiter.partition = std::numeric_limits<std::uint32_t>::max();
      waiters_.emplace(ticket, std::move(waiter));
      return ticket;
    }
  }
  ready();
  return 0;
}

void PositionWaiters::cancel(WaitTicket ticket) {
  if (ticket == 0) return;
  std::lock_guard lock(mutex_);
  auto it = waiters_.find(ticket);
  if (it == waiters_.end()) return;
  if (it->second.partition < queues_.size()) queues_[it->second.partition].erase(it->second.slot);
  waiters_.erase(it);
}

void PositionWaiters::advance(std::uint32_t partition, std::uint64_t next_offset) {
  std::vector<std::function<void()>> fired;
  {
    std::lock_guard lock(mutex_);
    if (partition >= reached_.size()) return;
    reached_[partition] = std::max(reached_[partition], next_offset);
    auto& queue = queues_[partition];
    while (!queue.empty() && queue.begin()->first <= reached_[partition]) {
      const WaitTicket ticket = queue.begin()->second;
      queue.erase(queue.begin());
      auto it = waiters_.find(ticket);
      std::uint32_t next_partition = 0;
      std::uint64_t offset = 0;
      if (first_unmet(it->second.position, next_partition, offset)) {
        // Still short on another partition: move to that partition's queue.
        it->second.partition = next_partition;
        if (next_partition < queues_.size()) {
          it->second.slot = queues_[next_partition].emplace(offset, ticket);
        } else {
          it->second.partition = std::numeric_limits<std::uint32_t>::max();
        }
        continue;
      }
      fired.push_back(std::move(it->second.ready));
      waiters_.erase(it);
    }
  }
  // Outside the lock: a callback may add a new waiter.
  for (auto& ready : fired) ready();
}

std::size_t PositionWaiters::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace orderline::projections
