#include "projections/recommendations/co_purchase_fold.h"

#include <algorithm>

namespace orderline::recommendations {

namespace {
// The newest order's name wins (ties: the greater name), so the result does not depend on
// the order the orders were folded in. An empty stored name always gives way.
void take_name(ItemStats& stats, const std::string& name, std::int64_t at_us) {
  if (stats.name.empty() || at_us > stats.name_at_us || (at_us == stats.name_at_us && name > stats.name)) {
    stats.name = name;
    stats.name_at_us = at_us;
  }
}
}  // namespace

bool CoPurchaseFold::count(const Basket& basket) {
  if (basket.order_id.empty() || store_.order(basket.order_id)) return false;
  OrderRecord record;
  record.customer_id = basket.customer_id;
  record.at_us = basket.at_us;
  for (const auto& item : basket.items) record.skus.push_back(item.sku);
  apply(record, &basket, +1);
  store_.put_order(basket.order_id, record);
  return true;
}

bool CoPurchaseFold::retract(std::string_view order_id) {
  auto record = store_.order(order_id);
  if (!record || record->state == OrderRecord::State::retracted) return false;
  apply(*record, nullptr, -1);
  // Kept as a tombstone: a late or repeated OrderPlaced of this order is not counted again.
  record->state = OrderRecord::State::retracted;
  record->skus.clear();
  store_.put_order(order_id, *record);
  return true;
}

void CoPurchaseFold::apply(const OrderRecord& record, const Basket* names, int sign) {
  for (std::size_t i = 0; i < record.skus.size(); ++i) {
    const auto& sku = record.skus[i];
    ItemStats stats = store_.item(sku).value_or(ItemStats{});
    stats.orders = std::max<std::int64_t>(0, stats.orders + sign);
    if (sign > 0) {
      stats.popularity.add(record.at_us);
      if (names && !names->items[i].name.empty()) take_name(stats, names->items[i].name, record.at_us);
    } else {
      stats.popularity.remove(record.at_us);
    }
    store_.put_item(sku, stats);
  }
  // Added, never read: the OrderRecord already makes a count and its retraction happen once.
  if (!record.customer_id.empty()) {
    std::vector<Counted> items;
    for (const auto& sku : record.skus) items.emplace_back(sku, sign);
    store_.add_customer_items(record.customer_id, items);
  }
  const std::size_t paired = std::min(record.skus.size(), options_.max_pair_items);
  std::vector<Counted> others;
  for (std::size_t i = 0; i < paired; ++i) {
    others.clear();
    for (std::size_t j = 0; j < paired; ++j) {
      if (j != i) others.emplace_back(record.skus[j], sign);
    }
    if (!others.empty()) store_.add_pairs(record.skus[i], others);
  }
  Totals totals = store_.totals();
  totals.live_orders = std::max<std::int64_t>(0, totals.live_orders + sign);
  if (sign > 0) totals.latest_us = std::max(totals.latest_us, record.at_us);
  ++totals.generation;
  store_.put_totals(totals);
}

}  // namespace orderline::recommendations
