#pragma once
// The recommendation queries the gateway asks, answered from the live version of the
// recommendations projection in the read-model RocksDB, with top-K neighbours and the
// popularity ranking cached (recommendations/model_cache.h) until the counts change.
#include <cstddef>
#include <string_view>
#include <vector>

#include "projections/read_model_store.h"
#include "projections/recommendations/model_cache.h"
#include "projections/recommendations/recommender.h"

namespace orderline::projections {

struct RecommendationQueryOptions {
  recommendations::RecommenderOptions model;  // K, history and decay (half-life as the fold's)
  std::size_t cached_items = 10000;           // items whose neighbours are kept (each <= K)
};

class RecommendationQueries {
 public:
  explicit RecommendationQueries(ReadModelStore& store, RecommendationQueryOptions options = {});

  // Items bought together with sku (then popular ones), never sku itself.
  std::vector<recommendations::Recommendation> related(std::string_view sku, std::size_t limit) const;
  // From the customer's live orders, without what they bought; popular ones for a new customer.
  std::vector<recommendations::Recommendation> for_customer(std::string_view customer_id, std::size_t limit) const;
  // Whether the customer has any counted order (imported customers have no registration).
  bool has_history(std::string_view customer_id) const;

 private:
  ReadModelStore& store_;
  RecommendationQueryOptions options_;
  mutable recommendations::ModelCache cache_;
};

}  // namespace orderline::projections
