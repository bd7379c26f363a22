#include "projections/order_search.h"

#include <charconv>

#include "eventstore/base64url.h"

namespace orderline::projections {
namespace {

constexpr std::string_view kCursorVersion = "s1";  // bump when the layout changes

}  // namespace

std::optional<OrderSort> parse_order_sort(std::string_view text) {
  if (text == "-created_at") return OrderSort::created_desc;
  if (text == "created_at") return OrderSort::created_asc;
  if (text == "-total") return OrderSort::total_desc;
  if (text == "total") return OrderSort::total_asc;
  return std::nullopt;
}

std::string_view order_sort_name(OrderSort sort) {
  switch (sort) {
    case OrderSort::created_desc: return "-created_at";
    case OrderSort::created_asc: return "created_at";
    case OrderSort::total_desc: return "-total";
    case OrderSort::total_asc: return "total";
  }
  return "-created_at";
}

// Layout before base64url: "s1\n<sort>\n<key>\n<order id>" (the id is last: it may hold "\n").
std::string encode_order_cursor(const OrderSearchCursor& cursor) {
  std::string plain(kCursorVersion);
  plain += '\n';
  plain += order_sort_name(cursor.sort);
  plain += '\n';
  plain += std::to_string(cursor.key);
  plain += '\n';
  plain += cursor.order_id;
  return eventstore::base64url_encode(plain);
}

std::optional<OrderSearchCursor> decode_order_cursor(std::string_view text) {
  if (text.empty() || text.size() > 1024) return std::nullopt;
  auto plain = eventstore::base64url_decode(text);
  if (!plain) return std::nullopt;
  std::string_view rest = *plain;
  auto next_field = [&rest]() -> std::optional<std::string_view> {
    const auto newline = rest.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    auto field = rest.substr(0, newline);
    rest.remove_prefix(newline + 1);
    return field;
  };
  const auto version = next_field();
  const auto sort_name = next_field();
  const auto key_text = next_field();
  if (!version || *version != kCursorVersion || !sort_name || !key_text || rest.empty()) return std::nullopt;
  OrderSearchCursor cursor;
  const auto sort = parse_order_sort(*sort_name);
  if (!sort) return std::nullopt;
  cursor.sort = *sort;
  const auto* end = key_text->data() + key_text->size();
  const auto parsed = std::from_chars(key_text->data(), end, cursor.key);
  if (parsed.ec != std::errc{} || parsed.ptr != end) return std::nullopt;
  cursor.order_id = std::string(rest);
  return cursor;
}

OrderSearchCursor cursor_after(const OrderSearchRow& row, OrderSort sort) {
  const bool by_total = sort == OrderSort::total_desc || sort == OrderSort::total_asc;
  return {sort, by_total ? row.total_minor : row.created_at_us, row.order_id};
}

}  // namespace orderline::projections
