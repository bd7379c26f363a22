#pragma once
// A bounded least-recently-used map of aggregate states, one per partition owner (so no
// locking). Only states of committed events enter it: the processor inserts after the
// append succeeded, and on a failed append the batch's working copies are simply dropped.
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "domain/aggregate.h"

namespace orderline::commands {

class AggregateCache {
 public:
  explicit AggregateCache(std::size_t capacity) : capacity_(capacity) {}

  // Moves a state out of the cache (a batch works on it and puts it back once committed):
  // no copy of a long order or a product's reservations per batch, and a batch that fails
  // leaves nothing stale behind.
  std::optional<domain::AggregateState> take(const std::string& stream_id) {
    auto it = index_.find(stream_id);
    if (it == index_.end()) return std::nullopt;
    std::optional<domain::AggregateState> state(std::move(it->second->second));
    order_.erase(it->second);
    index_.erase(it);
    return state;
  }

  void put(const std::string& stream_id, domain::AggregateState state) {
    if (capacity_ == 0) return;
    auto it = index_.find(stream_id);
    if (it != index_.end()) {
      it->second->second = std::move(state);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(stream_id, std::move(state));
    index_.emplace(stream_id, order_.begin());
    if (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  // The cached state, without taking it or refreshing its place (nullptr: not cached).
  const domain::AggregateState* peek(const std::string& stream_id) const {
    auto it = index_.find(stream_id);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  std::size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, domain::AggregateState>;
  std::size_t capacity_;
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace orderline::commands
