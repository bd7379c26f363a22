#pragma once
// The incremental model: an order is counted once when placed (its items, every pair of its
// items, the customer's items, decayed popularity) and taken back once when it is cancelled,
// expires or is returned. The OrderRecord kept per order makes both idempotent: a second
// count, a retraction of an order never counted, or a second retraction changes nothing, so
// folding any sequence of events gives the same counts as a batch recount of the orders still
// live (tests/unit/recs_counts_test.cpp). Because the record already says whether an order
// counts, pair and customer counts are added to (+1 / -1) without being read: one row per item
// of the order, not a read and a write per pair (recs_bench).
#include <cstddef>
#include <string_view>

#include "projections/recommendations/basket.h"
#include "projections/recommendations/count_store.h"

namespace orderline::recommendations {

struct FoldOptions {
  // Pairs are counted among the first max_pair_items SKUs of a basket (sorted), so one huge
  // order costs at most max_pair_items^2 pair writes; its items are all counted.
  std::size_t max_pair_items = 32;
};

class CoPurchaseFold {
 public:
  explicit CoPurchaseFold(CountStore& store, FoldOptions options = {}) : store_(store), options_(options) {}

  // False when the order was already counted or retracted (nothing changes).
  bool count(const Basket& basket);
  // False when the order was never counted or is already retracted (nothing changes).
  bool retract(std::string_view order_id);

 private:
  // +1 or -1 for every count the order holds.
  void apply(const OrderRecord& record, const Basket* names, int sign);

  CountStore& store_;
  FoldOptions options_;
};

}  // namespace orderline::recommendations
