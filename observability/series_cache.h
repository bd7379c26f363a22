#pragma once
// The metric objects of a family by label values, found without allocating. prometheus-cpp's
// Family::Add(labels) builds and hashes a std::map<string,string> per call; on a path taken
// per request or per command that costs more than the update itself, so the observers look
// their series up here first (a hit compares string_views under a mutex) and only call
// Family::Add on a miss. Label values must be bounded sets (route templates, status codes,
// command types, rejection codes), never raw client input.
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace orderline::observability {

template <std::size_t N, typename Series>
class SeriesCache {
 public:
  using Labels = std::array<std::string_view, N>;

  // The series of these label values; make() creates it on first use (called under the lock).
  template <typename Make>
  Series& get(const Labels& labels, Make&& make) {
    std::lock_guard lock(mutex_);
    auto it = series_.find(labels);
    if (it == series_.end()) {
      std::array<std::string, N> key;
      std::copy(labels.begin(), labels.end(), key.begin());
      it = series_.emplace(std::move(key), make()).first;
    }
    return it->second;
  }

 private:
  // Orders arrays of std::string and of std::string_view alike, so find() takes views.
  struct Less {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };

  std::mutex mutex_;
  std::map<std::array<std::string, N>, Series, Less> series_;
};

}  // namespace orderline::observability
