#pragma once
// The Superstore lines as batches for POST /api/v1/admin/import/orders (gateway/import_batch.h),
// with source "superstore":
//
//   customer key  = Customer ID ("CG-12520"), name = Customer Name (sealed by the server)
//   sku           = Product ID ("FUR-BO-10001798"), name/category/sub-category from the
//                   product's latest line, price = that line's list price
//                   (Sales / Quantity / (1 - Discount), in cents), stock = `stock`
//   order key     = Order ID ("CA-2016-152156"), currency USD, placed at the Order Date,
//                   shipped and delivered at the Ship Date (the file has no delivery date),
//                   each at 12:00 UTC, so the calendar date reads the same in any time zone
//   order lines   = one per product: lines of the same product in one order are merged
//                   (quantities and sales added); unit price = Sales / Quantity in cents,
//                   rounded half up (the price paid, after discount)
//
// Orders go in order date order (then Order ID), so the log tells the history in sequence;
// a batch carries each customer and product the first time an order of it needs them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/superstore_csv.h"

namespace orderline::cli {

struct ImportBatchText {
  std::string json;         // the request body
  std::size_t csv_lines = 0;  // Superstore lines it carries (for progress)
  std::size_t orders = 0;
};

struct SuperstoreBatchOptions {
  std::size_t max_bytes = 60'000;  // under orderd's default --body-limit (64 KiB)
  std::int64_t stock = 100;        // stock on hand of every created product
};

// Throws std::runtime_error when the lines contradict each other (one order with two
// customers or two dates) or one order alone exceeds max_bytes; the message names the row.
std::vector<ImportBatchText> superstore_import_batches(const std::vector<SuperstoreLine>& lines,
                                                       const SuperstoreBatchOptions& options = {});

}  // namespace orderline::cli
