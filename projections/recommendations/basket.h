#pragma once
// An order as the recommendation model sees it: who bought which distinct items, and when
// (business time). Quantities do not matter: buying three mugs is one signal, not three.
#include <cstdint>
#include <string>
#include <vector>

namespace orderline::recommendations {

struct BasketItem {
  std::string sku;
  std::string name;  // shown in answers; may be empty
};

struct Basket {
  std::string order_id;
  std::string customer_id;
  std::int64_t at_us = 0;         // business time (EventEnvelope.occurred_at_us)
  std::vector<BasketItem> items;  // distinct SKUs, sorted (make_basket)
};

// Sorts the items and drops repeated SKUs (the first name wins) and empty ones, so two folds
// of the same order always count the same pairs.
Basket make_basket(std::string order_id, std::string customer_id, std::int64_t at_us, std::vector<BasketItem> items);

}  // namespace orderline::recommendations
