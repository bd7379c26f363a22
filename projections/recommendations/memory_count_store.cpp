#include "projections/recommendations/memory_count_store.h"

namespace orderline::recommendations {

std::optional<OrderRecord> MemoryCountStore::order(std::string_view order_id) {
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return std::nullopt;
  return it->second;
}

void MemoryCountStore::put_order(std::string_view order_id, const OrderRecord& record) {
  orders_.insert_or_assign(std::string(order_id), record);
}

std::optional<ItemStats> MemoryCountStore::item(std::string_view sku) {
  return static_cast<const MemoryCountStore&>(*this).item(sku);
}

std::optional<ItemStats> MemoryCountStore::item(std::string_view sku) const {
  auto it = items_.find(sku);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

void MemoryCountStore::put_item(std::string_view sku, const ItemStats& stats) {
  items_.insert_or_assign(std::string(sku), stats);
}

void MemoryCountStore::add_pairs(std::string_view sku, const std::vector<Counted>& deltas) { add(pairs_, sku, deltas); }

void MemoryCountStore::add_customer_items(std::string_view customer_id, const std::vector<Counted>& deltas) {
  add(customers_, customer_id, deltas);
}

std::vector<Counted> MemoryCountStore::pairs_of(std::string_view sku) const { return row_of(pairs_, sku); }

std::vector<Counted> MemoryCountStore::customer_items(std::string_view customer_id) const {
  return row_of(customers_, customer_id);
}

void MemoryCountStore::for_each_item(const std::function<void(const std::string&, const ItemStats&)>& each) const {
  for (const auto& [sku, stats] : items_) {
    if (stats.orders > 0) each(sku, stats);
  }
}

std::vector<Counted> MemoryCountStore::row_of(const std::map<std::string, Row, std::less<>>& rows,
                                              std::string_view key) {
  std::vector<Counted> out;
  auto row = rows.find(key);
  if (row == rows.end()) return out;
  out.assign(row->second.begin(), row->second.end());
  return out;
}

std::int64_t MemoryCountStore::count_of(const std::map<std::string, Row, std::less<>>& rows, std::string_view key,
                                        std::string_view column) {
  auto row = rows.find(key);
  if (row == rows.end()) return 0;
  auto it = row->second.find(column);
  return it == row->second.end() ? 0 : it->second;
}

void MemoryCountStore::add(std::map<std::string, Row, std::less<>>& rows, std::string_view key,
                           const std::vector<Counted>& deltas) {
  auto row = rows.find(key);
  if (row == rows.end()) row = rows.emplace(std::string(key), Row{}).first;
  for (const auto& [column, delta] : deltas) {
    auto it = row->second.find(column);
    if (it == row->second.end()) it = row->second.emplace(column, 0).first;
    it->second += delta;
    if (it->second == 0) row->second.erase(it);
  }
  if (row->second.empty()) rows.erase(row);
}

}  // namespace orderline::recommendations
