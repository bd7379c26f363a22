#pragma once
// Order search for staff (GET /api/v1/admin/orders and its CSV export): the query, one page of
// results, keyset cursors, and the interface of the service that answers it. The answer comes
// from PostgreSQL (projections/postgres/postgres_order_search.h); this header has no libpqxx so
// the gateway can use it without linking a database client.
//
// Pagination is keyset, not OFFSET: a cursor holds the sort key and order id of the last row
// of a page, so page N costs the same as page 1 and rows inserted meanwhile never shift a page.
//
//   OrderSearchQuery q;
//   q.status = "confirmed";
//   q.sort = OrderSort::total_desc;
//   search.submit(q, [](OrderSearchResult r) { ... r.page.rows ... r.page.next_cursor ... });
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderline::projections {

enum class OrderSort { created_desc, created_asc, total_desc, total_asc };

// "-created_at" (newest first, the default), "created_at", "-total", "total".
std::optional<OrderSort> parse_order_sort(std::string_view text);
std::string_view order_sort_name(OrderSort sort);

// Where the previous page ended: the sort key (created_at in µs, or total in minor units) and
// the order id, which breaks ties so every row appears exactly once.
struct OrderSearchCursor {
  OrderSort sort = OrderSort::created_desc;
  std::int64_t key = 0;
  std::string order_id;
};

// Opaque to clients (base64url). decode: nullopt for anything we did not encode.
std::string encode_order_cursor(const OrderSearchCursor& cursor);
std::optional<OrderSearchCursor> decode_order_cursor(std::string_view text);

struct OrderSearchQuery {
  std::optional<std::string> status;       // order status, e.g. "confirmed"
  std::optional<std::string> customer_id;
  std::optional<std::string> currency;     // ISO 4217; min_total compares within it
  std::optional<std::int64_t> created_from_us;  // inclusive
  std::optional<std::int64_t> created_to_us;    // exclusive
  std::optional<std::int64_t> min_total_minor;  // total >= this, in minor units
  OrderSort sort = OrderSort::created_desc;
  std::size_t limit = 50;                  // rows per page
  std::optional<OrderSearchCursor> after;  // continue after this row; its sort must equal `sort`
};

struct OrderSearchRow {
  std::string order_id;
  std::string customer_id;
  std::string status;
  std::string payment_status;
  std::string fulfillment_status;
  std::string currency;
  std::int64_t total_minor = 0;
  std::int64_t version = 0;
  std::int64_t created_at_us = 0;
  std::int64_t updated_at_us = 0;
};

struct OrderSearchPage {
  std::vector<OrderSearchRow> rows;
  std::optional<std::string> next_cursor;  // absent on the last page
};

struct OrderSearchResult {
  enum class Status { ok, unavailable };
  Status status = Status::ok;
  std::string error;  // why unavailable (database down, ...)
  OrderSearchPage page;
};

// The cursor of the row a page ended on.
OrderSearchCursor cursor_after(const OrderSearchRow& row, OrderSort sort);

class OrderSearch {
 public:
  virtual ~OrderSearch() = default;
  // Runs the query off the caller's thread and calls `done` once, from another thread. Returns
  // false (and never calls `done`) when the service is saturated: the caller answers 503.
  virtual bool submit(OrderSearchQuery query, std::function<void(OrderSearchResult)> done) = 0;
};

}  // namespace orderline::projections
