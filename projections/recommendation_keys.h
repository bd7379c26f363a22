#pragma once
// Keys and values of the recommendations projection, all under "r/" (one prefix: a rebuild
// or a drop is one range). Pair counts are kept in both directions, one row per item, so one
// read gives an item's neighbours and one merge per item of an order adds its pairs.
//   r/o/<order_id>      -> OrderRecord (what was counted, or a tombstone)
//   r/i/<sku>           -> ItemStats
//   r/p/<sku>           -> counter row {other sku: orders holding both}     (counter_row.h)
//   r/c/<customer_id>   -> counter row {sku: the customer's live orders holding it}
//   r/t                 -> Totals
// (values: recommendation_keys.cpp)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventstore/embedded/key_codec.h"
#include "projections/recommendations/count_store.h"

namespace orderline::projections::recs_keys {

inline constexpr std::string_view kPrefix = "r/";
inline std::string order(std::string_view order_id) { return "r/o/" + std::string(order_id); }
inline std::string item(std::string_view sku) { return "r/i/" + std::string(sku); }
inline std::string item_prefix() { return "r/i/"; }
inline std::string pairs(std::string_view sku) { return "r/p/" + std::string(sku); }
inline std::string customer_items(std::string_view customer_id) { return "r/c/" + std::string(customer_id); }
inline std::string totals() { return "r/t"; }

std::string encode(const recommendations::ItemStats& stats);
std::optional<recommendations::ItemStats> decode_item(std::string_view value);
std::string encode(const recommendations::OrderRecord& record);
std::optional<recommendations::OrderRecord> decode_order(std::string_view value);
std::string encode(const recommendations::Totals& totals);
recommendations::Totals decode_totals(std::string_view value);

}  // namespace orderline::projections::recs_keys
