#pragma once
// The query string of GET /api/v1/admin/orders (and its CSV export) turned into an
// OrderSearchQuery, with every problem reported at once as field errors:
//   status, customer_id, currency, created_from, created_to (RFC 3339 or YYYY-MM-DD, UTC),
//   min_total (minor units), sort (-created_at | created_at | -total | total), limit, cursor.
// Unknown parameters are errors too: a typo ("stauts=") must not silently widen the search.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "gateway/exchange.h"
#include "gateway/problem.h"
#include "projections/order_search.h"

namespace orderline::gateway {

struct ParsedOrderSearch {
  projections::OrderSearchQuery query;
  std::vector<FieldError> errors;  // empty when the query is usable
};

ParsedOrderSearch parse_order_search(const Request& request, std::size_t default_limit, std::size_t max_limit);

// "2026-11-29T10:15:30Z", "2026-11-29T10:15:30.123456+01:00" or "2026-11-29" (midnight UTC)
// as microseconds since the epoch; nullopt when it is none of these or not a real date/time.
std::optional<std::int64_t> parse_rfc3339_micros(std::string_view text);

}  // namespace orderline::gateway
