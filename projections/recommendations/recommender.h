#pragma once
// Answers from the counts: items bought together with an item, and recommendations for a
// customer from what they bought, each with the reason it was chosen.
//
// Similarity is cosine over the order-item incidence: sim(i, j) = c_ij / sqrt(c_i * c_j),
// with c_i the orders holding i and c_ij those holding both. Dividing by the geometric mean
// of the two counts corrects for popularity: a best-seller is in many baskets by chance and
// raw co-counts would rank it first for every item. Cosine divides by sqrt(c_j), Jaccard by
// about c_i + c_j, which punishes popular neighbours harder; both are here so
// `orderctl recs evaluate` compares them (docs/recommendations.md).
//
// A customer's score for item j is the sum of sim(i, j) over the items i they bought (each
// item's top-K neighbours only) plus popularity_weight * pop(j), with pop(j) the decayed
// popularity at the newest business time seen relative to the most popular item's (0..1):
// a prior that keeps a weak co-purchase signal from outranking what most customers buy.
// Its reason is the i that contributed most ("because you bought X"), or "popular" when no
// item of the history is a neighbour (a new customer, rare items). Ties go to the more
// popular item. Items they bought are never recommended.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "projections/recommendations/count_store.h"
#include "projections/recommendations/model_cache.h"

namespace orderline::recommendations {

enum class Similarity { cosine, jaccard };

struct RecommenderOptions {
  Similarity similarity = Similarity::cosine;
  std::size_t neighbours = 50;      // K: neighbours kept (and cached) per item
  std::size_t max_history = 200;    // items of a customer's history used (by SKU order)
  double half_life_us = 30.0 * 24 * 3600 * 1e6;  // of decayed popularity (applied when read)
  std::size_t popular_ranking = 1000;  // items of the popularity ranking kept (and cached)
  // Weight of relative popularity (0..1) added to a customer's similarity sums; 0: popularity
  // only orders ties and fills. 4 (with the 30-day half-life) is what `orderctl recs evaluate`
  // chose for products on the validation months of the training period (the grid's largest:
  // on the Superstore data no co-purchase signal beats popularity; docs/recommendations.md).
  double popularity_weight = 4;
};

struct Recommendation {
  enum class Reason { bought_together, because_you_bought, popular };
  std::string sku;
  std::string name;
  double score = 0;
  Reason reason = Reason::popular;
  std::string because_sku;   // the item behind bought_together / because_you_bought
  std::string because_name;
};

// "because you bought Mug", "bought together with Mug", "popular".
std::string reason_text(const Recommendation& r);

class Recommender {
 public:
  // `cache` may be null (nothing kept); `cache_salt` separates entries of different stores
  // sharing one cache (e.g. projection versions).
  Recommender(const CountReader& counts, RecommenderOptions options = {}, ModelCache* cache = nullptr,
              std::uint64_t cache_salt = 0)
      : counts_(counts), options_(options), cache_(cache), salt_(cache_salt) {}

  // Top-K neighbours of an item, most similar first (ties by SKU).
  std::vector<Scored> neighbours(std::string_view sku) const;
  // Decayed popularity ranking, most popular first.
  std::vector<Scored> popular() const;

  std::vector<Recommendation> related(std::string_view sku, std::size_t limit) const;
  std::vector<Recommendation> for_customer(std::string_view customer_id, std::size_t limit) const;
  // As for_customer, from a history given by the caller (distinct SKUs).
  std::vector<Recommendation> for_history(const std::vector<std::string>& history, std::size_t limit) const;

 private:
  double similarity(std::int64_t both, std::int64_t a, std::int64_t b) const;
  void fill_with_popular(std::vector<Recommendation>& out, std::size_t limit,
                         const std::vector<std::string>& excluded) const;
  std::string name_of(std::string_view sku) const;

  const CountReader& counts_;
  RecommenderOptions options_;
  ModelCache* cache_;
  std::uint64_t salt_;
};

}  // namespace orderline::recommendations
