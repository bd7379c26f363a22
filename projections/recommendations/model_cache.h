#pragma once
// What the recommender computes lazily from the counts and keeps until they change: each
// item's top-K neighbours (least recently used dropped beyond `capacity` items) and the
// popularity ranking. Every entry carries the counts' generation (Totals) it was computed
// from; a lookup with another generation misses, so an update invalidates it all at once
// without the fold knowing the cache exists. Memory: at most capacity * K neighbours plus
// one ranking. Thread-safe (gateway threads share one).
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orderline::recommendations {

struct Scored {
  std::string sku;
  double score = 0;
};

class ModelCache {
 public:
  explicit ModelCache(std::size_t capacity = 10000) : capacity_(capacity) {}

  std::optional<std::vector<Scored>> neighbours(std::string_view sku, std::uint64_t generation);
  void put_neighbours(std::string_view sku, std::uint64_t generation, std::vector<Scored> neighbours);
  std::optional<std::vector<Scored>> popular(std::uint64_t generation);
  void put_popular(std::uint64_t generation, std::vector<Scored> ranking);

  std::size_t size() const;

 private:
  struct Entry {
    std::uint64_t generation;
    std::vector<Scored> neighbours;
    std::list<std::string>::iterator recency;
  };
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::string> recency_;  // most recent first
  std::unordered_map<std::string, Entry> entries_;
  std::optional<std::pair<std::uint64_t, std::vector<Scored>>> popular_;
};

}  // namespace orderline::recommendations
