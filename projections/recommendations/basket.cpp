#include "projections/recommendations/basket.h"

#include <algorithm>

namespace orderline::recommendations {

Basket make_basket(std::string order_id, std::string customer_id, std::int64_t at_us, std::vector<BasketItem> items) {
  std::erase_if(items, [](const BasketItem& item) { return item.sku.empty(); });
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.sku < b.sku; });
  items.erase(std::unique(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.sku == b.sku; }),
              items.end());
  return Basket{std::move(order_id), std::move(customer_id), at_us, std::move(items)};
}

}  // namespace orderline::recommendations
