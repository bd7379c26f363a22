#pragma once
// The metric objects of a family by label values, found without a lock or an allocation.
// prometheus-cpp's Family::Add(labels) builds and hashes a std::map<string,string> under the
// family's mutex on every call; on a path taken per request or per command that costs more
// than the update itself (benchmarks/metrics_observation_bench: BM_FamilyAdd). The observers
// look their series up here first and only call Family::Add on a miss.
//
// Series are only ever added, never removed, so a hit is a lock-free read: an open-addressing
// table of atomic pointers to immutable entries, probed with acquire loads and compared by
// string_view. A miss takes the mutex, probes again and publishes a new entry with a release
// store. Once the table is 3/4 full, further label sets go to a map under the mutex (slower,
// still correct). Label values must be bounded sets (route templates, status codes, command
// types, rejection codes), never raw client input.
//
//   SeriesCache<2, prometheus::Counter*> cache;
//   auto* counter = cache.get({route, method}, [&] { return &family.Add({...}); });
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace orderline::observability {

template <std::size_t N, typename Series>
class SeriesCache {
 public:
  using Labels = std::array<std::string_view, N>;

  SeriesCache() = default;
  SeriesCache(const SeriesCache&) = delete;
  SeriesCache& operator=(const SeriesCache&) = delete;
  ~SeriesCache() {
    for (auto& slot : slots_) delete slot.load(std::memory_order_relaxed);
  }

  // The series of these label values; make() creates it on first use (called under the lock,
  // once per label set).
  template <typename Make>
  Series& get(const Labels& labels, Make&& make) {
    const auto hash = hash_of(labels);
    if (Entry* hit = probe(labels, hash)) return hit->series;
    std::lock_guard lock(mutex_);
    if (Entry* hit = probe(labels, hash)) return hit->series;  // added meanwhile
    if (auto it = overflow_.find(labels); it != overflow_.end()) return it->second;
    std::array<std::string, N> key;
    for (std::size_t i = 0; i < N; ++i) key[i] = std::string(labels[i]);
    if (size_ < kSlots * 3 / 4) {
      auto entry = std::make_unique<Entry>(Entry{hash, std::move(key), make()});
      for (std::size_t i = 0;; ++i) {
        auto& slot = slots_[(hash + i) & (kSlots - 1)];
        if (slot.load(std::memory_order_relaxed) == nullptr) {
          ++size_;
          Entry* published = entry.release();
          slot.store(published, std::memory_order_release);
          return published->series;
        }
      }
    }
    return overflow_.emplace(std::move(key), make()).first->second;
  }

 private:
  static constexpr std::size_t kSlots = 256;  // a power of two

  struct Entry {
    std::uint64_t hash;
    std::array<std::string, N> key;
    Series series;
  };

  // The values' hashes (libstdc++'s takes 8 bytes a step; a byte-wise FNV-1a of a route
  // template cost more than the rest of the lookup), combined in order so ("a","b") and
  // ("b","a") differ.
  static std::uint64_t hash_of(const Labels& labels) {
    std::uint64_t h = 0;
    for (std::string_view value : labels) {
      h ^= std::hash<std::string_view>{}(value) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    }
    return h;
  }

  Entry* probe(const Labels& labels, std::uint64_t hash) const {
    for (std::size_t i = 0; i < kSlots; ++i) {
      Entry* entry = slots_[(hash + i) & (kSlots - 1)].load(std::memory_order_acquire);
      if (entry == nullptr) return nullptr;  // slots fill in probe order and never empty
      if (entry->hash == hash && equal(entry->key, labels)) return entry;
    }
    return nullptr;
  }

  static bool equal(const std::array<std::string, N>& key, const Labels& labels) {
    for (std::size_t i = 0; i < N; ++i) {
      if (std::string_view(key[i]) != labels[i]) return false;
    }
    return true;
  }

  // Orders arrays of std::string and of std::string_view alike, so find() takes views.
  struct Less {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      for (std::size_t i = 0; i < N; ++i) {
        const auto x = std::string_view(a[i]), y = std::string_view(b[i]);
        if (x != y) return x < y;
      }
      return false;
    }
  };

  std::array<std::atomic<Entry*>, kSlots> slots_{};
  std::mutex mutex_;
  std::size_t size_ = 0;  // entries in slots_ (under mutex_)
  std::map<std::array<std::string, N>, Series, Less> overflow_;
};

}  // namespace orderline::observability
