// The Superstore reader: the committed sample (38 rows of the real file, same shape), RFC 4180
// quoting, and a clear error naming row and column for every kind of malformed input.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cli/superstore_csv.h"

namespace orderline::cli {
namespace {

using namespace std::chrono;

const std::string header =
    "\"Row ID\",\"Order ID\",\"Order Date\",\"Ship Date\",\"Ship Mode\",\"Customer ID\",\"Customer Name\","
    "\"Segment\",\"Country\",\"City\",\"State\",\"Postal Code\",\"Region\",\"Product ID\",\"Category\","
    "\"Sub-Category\",\"Product Name\",\"Sales\",\"Quantity\",\"Discount\",\"Profit\"\n";
const std::string good_row =
    "1,\"CA-2016-152156\",2016-11-08,2016-11-11,\"Second Class\",\"CG-12520\",\"Claire Gute\",\"Consumer\","
    "\"United States\",\"Henderson\",\"Kentucky\",42420,\"South\",\"FUR-BO-10001798\",\"Furniture\",\"Bookcases\","
    "\"Bush Somerset Collection Bookcase\",261.96,2,0,41.9136\n";

// The message of the error parsing `text` throws, or "" when it does not throw.
std::string error_of(const std::string& text) {
  try {
    parse_superstore_csv(text);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

TEST(SuperstoreCsv, ReadsTheCommittedSample) {
  const auto lines = read_superstore_csv(ORDERLINE_SOURCE_DIR "/tests/fixtures/superstore_sample.csv");
  ASSERT_EQ(lines.size(), 38U);
  const SuperstoreLine& first = lines.front();
  EXPECT_EQ(first.order_id, "CA-2016-152156");
  EXPECT_EQ(first.order_date, sys_days{2016y / November / 8});
  EXPECT_EQ(first.ship_date, sys_days{2016y / November / 11});
  EXPECT_EQ(first.customer_id, "CG-12520");
  EXPECT_EQ(first.customer_name, "Claire Gute");
  EXPECT_EQ(first.segment, "Consumer");
  EXPECT_EQ(first.product_id, "FUR-BO-10001798");
  EXPECT_EQ(first.category, "Furniture");
  EXPECT_EQ(first.sub_category, "Bookcases");
  EXPECT_EQ(first.product_name, "Bush Somerset Collection Bookcase");
  EXPECT_EQ(first.sales_cents, 26196);
  EXPECT_EQ(first.quantity, 2);
  EXPECT_EQ(first.discount, 0.0);
  EXPECT_EQ(first.row, 1U);
  // Row 2: a comma inside quotes. Row 4: four decimals, rounded half up; a discount.
  EXPECT_EQ(lines[1].product_name, "Hon Deluxe Fabric Upholstered Stacking Chairs, Rounded Back");
  EXPECT_EQ(lines[3].sales_cents, 95758);  // 957.5775
  EXPECT_DOUBLE_EQ(lines[3].discount, 0.45);
  // Doubled quotes inside quotes are one quote.
  bool saw_inch = false;
  for (const auto& line : lines) saw_inch |= line.product_name == "Stur-D-Stor Shelving, Vertical 5-Shelf: 72\"H x 36\"W x 18 1/2\"D";
  EXPECT_TRUE(saw_inch);
  EXPECT_EQ(lines.back().row, 38U);
}

TEST(SuperstoreCsv, QuotingLineEndingsAndColumnOrder) {
  // Columns in another order, extra ones, CRLF, a quoted line break, a byte order mark, and
  // the Kaggle edition's M/D/YYYY dates.
  const std::string text =
      "\xEF\xBB\xBF"
      "Extra,Product ID,Order ID,Order Date,Ship Date,Customer ID,Customer Name,Segment,Category,Sub-Category,"
      "Product Name,Sales,Quantity,Discount\r\n"
      "x,P-1,O-1,11/8/2016,11/11/2016,C-1,\"Gute, Claire\",Consumer,Furniture,Chairs,\"two\nlines \"\"quoted\"\"\","
      "0.125,3,0.2\r\n"
      "\r\n";
  const auto lines = parse_superstore_csv(text);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].order_date, sys_days{2016y / November / 8});
  EXPECT_EQ(lines[0].customer_name, "Gute, Claire");
  EXPECT_EQ(lines[0].product_name, "two\nlines \"quoted\"");
  EXPECT_EQ(lines[0].sales_cents, 13);  // 0.125 rounds half up
  EXPECT_EQ(lines[0].quantity, 3);
}

TEST(SuperstoreCsv, MalformedInputNamesRowAndColumn) {
  EXPECT_EQ(error_of(header + good_row), "");
  auto replaced = [](std::string row, const std::string& from, const std::string& to) {
    return row.replace(row.find(from), from.size(), to);
  };
  EXPECT_EQ(error_of(header + good_row + replaced(good_row, "2016-11-08", "2016-13-40")),
            "superstore.csv: row 2, column \"Order Date\": not a date (YYYY-MM-DD): \"2016-13-40\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "2016-11-08", "2016-02-30")),
            "superstore.csv: row 1, column \"Order Date\": not a date (YYYY-MM-DD): \"2016-02-30\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "2016-11-11", "2016-11-07")),
            "superstore.csv: row 1, column \"Ship Date\": before the order date: \"2016-11-07\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "261.96", "-261.96")),
            "superstore.csv: row 1, column \"Sales\": not a non-negative decimal amount: \"-261.96\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "261.96", "2.6e2")),
            "superstore.csv: row 1, column \"Sales\": not a non-negative decimal amount: \"2.6e2\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "261.96,2,0", "261.96,0,0")),
            "superstore.csv: row 1, column \"Quantity\": not a whole number >= 1: \"0\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "261.96,2,0", "261.96,2,1.5")),
            "superstore.csv: row 1, column \"Discount\": not a fraction in [0, 1): \"1.5\"");
  EXPECT_EQ(error_of(header + replaced(good_row, "\"CG-12520\"", "\"\"")),
            "superstore.csv: row 1, column \"Customer ID\": empty: \"\"");
  EXPECT_EQ(error_of(header + replaced(good_row, ",\"Furniture\"", "")),
            "superstore.csv: row 1: 20 fields, the header has 21");
  EXPECT_EQ(error_of(header + replaced(good_row, "\"Claire Gute\"", "\"Claire\"Gute")),
            "superstore.csv: row 1, field 7: text after a closing quote");
  EXPECT_EQ(error_of(header + replaced(good_row, ",41.9136", ",\"41.9136")),
            "superstore.csv: row 1, field 21: a quoted field never ends");
  EXPECT_EQ(error_of(replaced(header, ",\"Sales\"", "") + replaced(good_row, "261.96,", "")),
            "superstore.csv: header: missing column \"Sales\"");
  EXPECT_EQ(error_of(""), "superstore.csv: empty file, no header");
  try {
    read_superstore_csv("/nonexistent/superstore.csv");
    ADD_FAILURE() << "a missing file must throw";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/superstore.csv"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace orderline::cli
