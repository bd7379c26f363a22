#pragma once
// The counts the recommendation model learns from, behind two small interfaces so the same
// fold runs into memory (orderctl recs evaluate, tests) and into RocksDB (the projection):
//   CountStore   point reads and writes: what folding one order needs
//   CountReader  scans: what answering a query needs
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "projections/recommendations/decayed_counts.h"

namespace orderline::recommendations {

struct ItemStats {
  std::int64_t orders = 0;     // live orders holding the item
  DecayedCounts popularity;    // the same orders by business week (decayed when read)
  // The name on the newest order counted (business time; the greater name on a tie): the same
  // whatever order the orders were folded in, where "the last name seen" would not be.
  std::string name;
  std::int64_t name_at_us = 0;
};

// What was counted for one order, so it is never counted twice and its retraction takes back
// exactly what was added, whatever the catalogue says by then.
struct OrderRecord {
  enum class State { counted, retracted };
  State state = State::counted;
  std::string customer_id;
  std::int64_t at_us = 0;
  std::vector<std::string> skus;  // distinct, sorted
};

struct Totals {
  std::int64_t live_orders = 0;
  std::int64_t latest_us = 0;    // newest business time folded: "now" for decayed popularity
  std::uint64_t generation = 0;  // bumped by every change, so caches know they are stale
};

using Counted = std::pair<std::string, std::int64_t>;  // (sku, count)

// Point reads and read-modify-writes of one record per order and per item, and counts that are
// only ever added to, never read while folding: a fold of a 20-SKU order adds to 20 pair rows,
// it does not read and write 380 pair counts (recs_bench).
class CountStore {
 public:
  virtual ~CountStore() = default;
  virtual std::optional<OrderRecord> order(std::string_view order_id) = 0;
  virtual void put_order(std::string_view order_id, const OrderRecord& record) = 0;
  virtual std::optional<ItemStats> item(std::string_view sku) = 0;
  virtual void put_item(std::string_view sku, const ItemStats& stats) = 0;
  // Adds each (other, delta) to the orders holding both sku and other (this direction only:
  // the fold adds both). A count that reaches 0 disappears.
  virtual void add_pairs(std::string_view sku, const std::vector<Counted>& deltas) = 0;
  // Adds each (sku, delta) to the customer's live orders holding sku; 0 disappears.
  virtual void add_customer_items(std::string_view customer_id, const std::vector<Counted>& deltas) = 0;
  virtual Totals totals() = 0;
  virtual void put_totals(const Totals& totals) = 0;
};

class CountReader {
 public:
  virtual ~CountReader() = default;
  virtual std::optional<ItemStats> item(std::string_view sku) const = 0;
  // Every item bought together with sku, with the number of orders holding both, by sku.
  virtual std::vector<Counted> pairs_of(std::string_view sku) const = 0;
  // The customer's items (live orders holding each), by sku.
  virtual std::vector<Counted> customer_items(std::string_view customer_id) const = 0;
  // Calls each(sku, stats) for every item with live orders (popularity ranking).
  virtual void for_each_item(const std::function<void(const std::string&, const ItemStats&)>& each) const = 0;
  virtual Totals totals() const = 0;
};

}  // namespace orderline::recommendations
