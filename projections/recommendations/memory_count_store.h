#pragma once
// Counts in memory: for `orderctl recs evaluate` (a whole history folded offline) and tests.
#include <map>
#include <string>

#include "projections/recommendations/count_store.h"

namespace orderline::recommendations {

class MemoryCountStore final : public CountStore, public CountReader {
 public:
  std::optional<OrderRecord> order(std::string_view order_id) override;
  void put_order(std::string_view order_id, const OrderRecord& record) override;
  std::optional<ItemStats> item(std::string_view sku) override;
  void put_item(std::string_view sku, const ItemStats& stats) override;
  void add_pairs(std::string_view sku, const std::vector<Counted>& deltas) override;
  void add_customer_items(std::string_view customer_id, const std::vector<Counted>& deltas) override;
  // One count (0 when none), for tests.
  std::int64_t pair(std::string_view a, std::string_view b) const { return count_of(pairs_, a, b); }
  std::int64_t customer_item(std::string_view customer_id, std::string_view sku) const {
    return count_of(customers_, customer_id, sku);
  }
  Totals totals() override { return totals_; }
  void put_totals(const Totals& totals) override { totals_ = totals; }

  std::optional<ItemStats> item(std::string_view sku) const override;
  std::vector<Counted> pairs_of(std::string_view sku) const override;
  std::vector<Counted> customer_items(std::string_view customer_id) const override;
  void for_each_item(const std::function<void(const std::string&, const ItemStats&)>& each) const override;
  Totals totals() const override { return totals_; }

 private:
  using Row = std::map<std::string, std::int64_t, std::less<>>;
  static std::vector<Counted> row_of(const std::map<std::string, Row, std::less<>>& rows, std::string_view key);
  static std::int64_t count_of(const std::map<std::string, Row, std::less<>>& rows, std::string_view key,
                               std::string_view column);
  static void add(std::map<std::string, Row, std::less<>>& rows, std::string_view key, const std::vector<Counted>& deltas);

  std::map<std::string, OrderRecord, std::less<>> orders_;
  std::map<std::string, ItemStats, std::less<>> items_;
  std::map<std::string, Row, std::less<>> pairs_;
  std::map<std::string, Row, std::less<>> customers_;
  Totals totals_;
};

}  // namespace orderline::recommendations
