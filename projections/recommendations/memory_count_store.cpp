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

std::int64_t MemoryCountStore::pair(std::string_view a, std::string_view b) {
  auto row = pairs_.find(a);
  if (row == pairs_.end()) return 0;
  auto it = row->second.find(b);
  return it == row->second.end() ? 0 : it->second;
}

void MemoryCountStore::put_pair(std::string_view a, std::string_view b, std::int64_t count) {
  set(pairs_, a, b, count);
  set(pairs_, b, a, count);
}

std::int64_t MemoryCountStore::customer_item(std::string_view customer_id, std::string_view sku) {
  auto row = customers_.find(customer_id);
  if (row == customers_.end()) return 0;
  auto it = row->second.find(sku);
  return it == row->second.end() ? 0 : it->second;
}

void MemoryCountStore::put_customer_item(std::string_view customer_id, std::string_view sku, std::int64_t count) {
  set(customers_, customer_id, sku, count);
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

void MemoryCountStore::set(std::map<std::string, Row, std::less<>>& rows, std::string_view key,
                           std::string_view column, std::int64_t count) {
  if (count > 0) {
    rows[std::string(key)].insert_or_assign(std::string(column), count);
    return;
  }
  auto row = rows.find(key);
  if (row == rows.end()) return;
  if (auto it = row->second.find(column); it != row->second.end()) row->second.erase(it);
  if (row->second.empty()) rows.erase(row);
}

}  // namespace orderline::recommendations
