#include "projections/recommendations/model_cache.h"

namespace orderline::recommendations {

std::optional<std::vector<Scored>> ModelCache::neighbours(std::string_view sku, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(sku));
  if (it == entries_.end() || it->second.generation != generation) return std::nullopt;
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.neighbours;
}

void ModelCache::put_neighbours(std::string_view sku, std::uint64_t generation, std::vector<Scored> neighbours) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(sku));
  if (it != entries_.end()) {
    it->second.generation = generation;
    it->second.neighbours = std::move(neighbours);
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.emplace_front(sku);
  entries_.emplace(std::string(sku), Entry{generation, std::move(neighbours), recency_.begin()});
}

std::optional<std::vector<Scored>> ModelCache::popular(std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (!popular_ || popular_->first != generation) return std::nullopt;
  return popular_->second;
}

void ModelCache::put_popular(std::uint64_t generation, std::vector<Scored> ranking) {
  std::lock_guard lock(mutex_);
  popular_.emplace(generation, std::move(ranking));
}

std::size_t ModelCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace orderline::recommendations
