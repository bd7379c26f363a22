#pragma once
// Keys and values of the recommendations projection, all under "r/" (one prefix: a rebuild
// or a drop is one range). Pairs are stored in both directions so one prefix scan gives an
// item's neighbours.
//   r/o/<order_id>               -> OrderRecord (what was counted, or a tombstone)
//   r/i/<sku>                    -> ItemStats
//   r/p/<sku_a>\0<sku_b>         -> count(8)       orders holding both
//   r/c/<customer_id>\0<sku>     -> count(8)       the customer's live orders holding it
//   r/t                          -> Totals
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
inline std::string row_prefix(std::string_view kind, std::string_view owner) {
  std::string key = "r/" + std::string(kind) + "/" + std::string(owner);
  key.push_back('\0');
  return key;
}
inline std::string pair_prefix(std::string_view sku) { return row_prefix("p", sku); }
inline std::string pair(std::string_view a, std::string_view b) { return pair_prefix(a) + std::string(b); }
inline std::string customer_prefix(std::string_view customer_id) { return row_prefix("c", customer_id); }
inline std::string customer_item(std::string_view customer_id, std::string_view sku) {
  return customer_prefix(customer_id) + std::string(sku);
}
inline std::string totals() { return "r/t"; }

inline std::string encode_count(std::int64_t count) {
  std::string out;
  codec::put_u64(out, static_cast<std::uint64_t>(count));
  return out;
}
inline std::int64_t decode_count(std::string_view value) {
  return value.size() == 8 ? static_cast<std::int64_t>(codec::get_u64(value)) : 0;
}

std::string encode(const recommendations::ItemStats& stats);
std::optional<recommendations::ItemStats> decode_item(std::string_view value);
std::string encode(const recommendations::OrderRecord& record);
std::optional<recommendations::OrderRecord> decode_order(std::string_view value);
std::string encode(const recommendations::Totals& totals);
recommendations::Totals decode_totals(std::string_view value);

}  // namespace orderline::projections::recs_keys
