#pragma once
// The order read models of PostgreSQL as a pure fold, no I/O: a batch of events becomes the
// rows it changes. The runtime loads the prior state of the orders the batch moves (those placed
// in an earlier batch), folds, and writes the result with one bulk statement per table, inside
// the transaction that advances the checkpoints.
//
// What counts (customer summaries, sales): an order counts from its placement until it is
// cancelled, expires or is returned. Sales belong to the UTC day of placement, so taking an
// order back subtracts from that day. Money is integer minor units throughout.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "projections/projection.h"

namespace orderline::projections::pg {

struct OrderRow {
  std::string order_id, customer_id, status, payment_status, fulfillment_status, currency;
  std::int64_t total_minor = 0;
  std::uint64_t version = 0;
  std::int64_t created_at_us = 0, updated_at_us = 0;
  std::uint32_t log_partition = 0;
  std::uint64_t log_offset = 0;
};

struct LineRow {
  std::string order_id;
  int line_no = 0;
  std::string sku, name;
  std::int64_t quantity = 0, unit_price_minor = 0;
  std::string currency;
};

struct HistoryRow {
  std::string order_id;
  std::uint64_t stream_version = 0;
  std::string machine, from, to;
  std::int64_t at_us = 0;
  std::string reason, actor, event_type;
};

// Additive changes: the writer adds them to the stored values (or inserts them).
struct CustomerDelta {
  std::int64_t placed = 0, cancelled = 0, returned = 0, counted = 0, value_minor = 0;
  // Earliest and latest placement among the orders this delta touches.
  std::int64_t first_at_us = INT64_MAX, last_at_us = INT64_MIN;
};
struct SalesDelta {
  std::int64_t orders = 0, quantity = 0, revenue_minor = 0;
};

// An order placed before this batch, as stored.
struct StoredOrder {
  OrderRow header;
  std::vector<LineRow> lines;
};

struct RowChanges {
  std::map<std::string, OrderRow> orders;  // final state of every touched order
  std::vector<LineRow> new_lines;
  std::vector<HistoryRow> history;
  std::map<std::pair<std::string, std::string>, CustomerDelta> customers;          // (customer, currency)
  std::map<std::pair<std::int32_t, std::string>, SalesDelta> daily;                // (day, currency)
  std::map<std::tuple<std::int32_t, std::string, std::string>, SalesDelta> daily_products;  // (day, sku, currency)
  bool empty() const { return orders.empty(); }
};

// Days since 1970-01-01 (UTC) of a time in microseconds, rounding towards the past.
std::int32_t utc_day(std::int64_t time_us);

// Whether an order in this state counts as a sale.
bool counts_as_sale(const std::string& order_status);

class OrderFold {
 public:
  // The order id of an order stream ("order-<id>"), or "" for other streams.
  static std::string order_id_of(const std::string& stream_id);
  // Whether the event moves an order placed earlier (its prior state must be preloaded).
  static bool moves_an_order(const v1::EventPayload& event);

  // Hands the fold an order placed in an earlier batch, before apply().
  void preload(StoredOrder order);
  // Folds one event; events of other aggregates are ignored. An order move whose placement was
  // never seen is skipped with a warning (it cannot be folded; the RocksDB read model does the same).
  void apply(const EventContext& context);
  RowChanges take();

 private:
  struct Working {
    StoredOrder order;
    bool placed_here = false;  // placed in this batch: its lines are new rows
  };
  void count(const Working& order, int sign);
  std::map<std::string, Working> orders_;
  RowChanges changes_;
};

}  // namespace orderline::projections::pg
