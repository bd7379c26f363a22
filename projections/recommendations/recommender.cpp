#include "projections/recommendations/recommender.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace orderline::recommendations {

namespace {

bool by_score(const Scored& a, const Scored& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.sku < b.sku;
}

}  // namespace

std::string reason_text(const Recommendation& r) {
  switch (r.reason) {
    case Recommendation::Reason::bought_together:
      return "bought together with " + (r.because_name.empty() ? r.because_sku : r.because_name);
    case Recommendation::Reason::because_you_bought:
      return "because you bought " + (r.because_name.empty() ? r.because_sku : r.because_name);
    case Recommendation::Reason::popular:
      return "popular";
  }
  return "popular";
}

double Recommender::similarity(std::int64_t both, std::int64_t a, std::int64_t b) const {
  if (both <= 0 || a <= 0 || b <= 0) return 0;
  if (options_.similarity == Similarity::jaccard) {
    return static_cast<double>(both) / static_cast<double>(a + b - both);
  }
  return static_cast<double>(both) / std::sqrt(static_cast<double>(a) * static_cast<double>(b));
}

std::vector<Scored> Recommender::neighbours(std::string_view sku) const {
  const auto generation = (salt_ << 48) ^ counts_.totals().generation;
  if (cache_) {
    if (auto cached = cache_->neighbours(sku, generation)) return std::move(*cached);
  }
  std::vector<Scored> out;
  const auto self = counts_.item(sku);
  if (self && self->orders > 0) {
    for (const auto& [other, both] : counts_.pairs_of(sku)) {
      const auto stats = counts_.item(other);
      if (!stats) continue;
      const double score = similarity(both, self->orders, stats->orders);
      if (score > 0) out.push_back({other, score});
    }
  }
  const std::size_t keep = std::min(out.size(), options_.neighbours);
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), by_score);
  out.resize(keep);
  if (cache_) cache_->put_neighbours(sku, generation, out);
  return out;
}

std::vector<Scored> Recommender::popular() const {
  const auto totals = counts_.totals();
  const auto generation = (salt_ << 48) ^ totals.generation;
  if (cache_) {
    if (auto cached = cache_->popular(generation)) return std::move(*cached);
  }
  std::vector<Scored> out;
  counts_.for_each_item([&](const std::string& sku, const ItemStats& stats) {
    out.push_back({sku, stats.popularity.value_at(totals.latest_us, options_.half_life_us)});
  });
  const std::size_t keep = std::min(out.size(), options_.popular_ranking);
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), by_score);
  out.resize(keep);
  if (cache_) cache_->put_popular(generation, out);
  return out;
}

std::string Recommender::name_of(std::string_view sku) const {
  auto stats = counts_.item(sku);
  return stats ? stats->name : std::string();
}

void Recommender::fill_with_popular(std::vector<Recommendation>& out, std::size_t limit,
                                    const std::vector<std::string>& excluded) const {
  if (out.size() >= limit) return;
  std::unordered_set<std::string> taken(excluded.begin(), excluded.end());
  for (const auto& r : out) taken.insert(r.sku);
  for (const auto& candidate : popular()) {
    if (out.size() >= limit) break;
    if (taken.count(candidate.sku)) continue;
    Recommendation r;
    r.sku = candidate.sku;
    r.name = name_of(candidate.sku);
    r.score = candidate.score;
    r.reason = Recommendation::Reason::popular;
    out.push_back(std::move(r));
  }
}

std::vector<Recommendation> Recommender::related(std::string_view sku, std::size_t limit) const {
  std::vector<Recommendation> out;
  const std::string because_name = name_of(sku);
  for (const auto& neighbour : neighbours(sku)) {
    if (out.size() >= limit) break;
    Recommendation r;
    r.sku = neighbour.sku;
    r.name = name_of(neighbour.sku);
    r.score = neighbour.score;
    r.reason = Recommendation::Reason::bought_together;
    r.because_sku = std::string(sku);
    r.because_name = because_name;
    out.push_back(std::move(r));
  }
  fill_with_popular(out, limit, {std::string(sku)});
  return out;
}

std::vector<Recommendation> Recommender::for_customer(std::string_view customer_id, std::size_t limit) const {
  std::vector<std::string> history;
  for (auto& [sku, orders] : counts_.customer_items(customer_id)) {
    if (orders > 0) history.push_back(std::move(sku));
  }
  return for_history(history, limit);
}

std::vector<Recommendation> Recommender::for_history(const std::vector<std::string>& history,
                                                     std::size_t limit) const {
  struct Candidate {
    double similarity = 0;  // sum over the history
    double popularity = 0;  // decayed, relative to the most popular item (0..1)
    double best = 0;
    std::string because;
    double score(double weight) const { return similarity + weight * popularity; }
  };
  const std::unordered_set<std::string> bought(history.begin(), history.end());
  std::unordered_map<std::string, Candidate> candidates;
  const std::size_t used = std::min(history.size(), options_.max_history);
  for (std::size_t h = 0; h < used; ++h) {
    for (const auto& neighbour : neighbours(history[h])) {
      if (bought.count(neighbour.sku)) continue;
      auto& c = candidates[neighbour.sku];
      c.similarity += neighbour.score;
      if (neighbour.score > c.best || (neighbour.score == c.best && history[h] < c.because)) {
        c.best = neighbour.score;
        c.because = history[h];
      }
    }
  }
  // Popularity is the prior every candidate starts from (weighted), and orders the ties.
  const auto ranking = popular();
  const double top = ranking.empty() || ranking.front().score <= 0 ? 1 : ranking.front().score;
  for (const auto& item : ranking) {
    if (bought.count(item.sku)) continue;
    auto found = candidates.find(item.sku);
    if (found != candidates.end()) {
      found->second.popularity = item.score / top;
    } else {
      candidates[item.sku].popularity = item.score / top;
    }
  }
  std::vector<std::pair<std::string, const Candidate*>> ranked;
  ranked.reserve(candidates.size());
  for (const auto& [sku, c] : candidates) ranked.emplace_back(sku, &c);
  const double weight = options_.popularity_weight;
  const std::size_t keep = std::min(ranked.size(), limit);
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                    [weight](const auto& a, const auto& b) {
                      if (a.second->score(weight) != b.second->score(weight)) {
                        return a.second->score(weight) > b.second->score(weight);
                      }
                      if (a.second->popularity != b.second->popularity) {
                        return a.second->popularity > b.second->popularity;
                      }
                      return a.first < b.first;
                    });
  ranked.resize(keep);
  std::vector<Recommendation> out;
  for (const auto& [sku, c] : ranked) {
    Recommendation r;
    r.sku = sku;
    r.name = name_of(sku);
    r.score = c->score(weight);
    if (c->similarity > 0) {
      r.reason = Recommendation::Reason::because_you_bought;
      r.because_sku = c->because;
      r.because_name = name_of(c->because);
    } else {
      r.reason = Recommendation::Reason::popular;
    }
    out.push_back(std::move(r));
  }
  fill_with_popular(out, limit, history);
  return out;
}

}  // namespace orderline::recommendations
