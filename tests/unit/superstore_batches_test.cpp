// The Superstore lines as import batches: orders grouped and sorted by date, a product's lines
// in one order merged, prices in cents, each customer and product sent once, batches under
// the byte limit.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <stdexcept>

#include "cli/superstore_batches.h"

namespace orderline::cli {
namespace {
namespace json = boost::json;

using namespace std::chrono;

SuperstoreLine line(std::string order_id, sys_days date, std::string customer, std::string product,
                    std::int64_t sales_cents, int quantity, double discount = 0) {
  SuperstoreLine l;
  static std::size_t row = 0;
  l.row = ++row;
  l.order_id = std::move(order_id);
  l.order_date = date;
  l.ship_date = date + days{3};
  l.customer_id = customer;
  l.customer_name = "Name of " + customer;
  l.segment = "Consumer";
  l.product_id = product;
  l.category = "Furniture";
  l.sub_category = "Chairs";
  l.product_name = "Name of " + product;
  l.sales_cents = sales_cents;
  l.quantity = quantity;
  l.discount = discount;
  return l;
}

std::vector<json::object> all_of(const std::vector<ImportBatchText>& batches, const char* kind) {
  std::vector<json::object> out;
  for (const auto& b : batches) {
    const auto body = json::parse(b.json);  // kept: a range-for over a temporary's member would dangle
    for (const auto& item : body.at(kind).as_array()) out.push_back(item.as_object());
  }
  return out;
}

TEST(SuperstoreBatches, OrdersByDateMergedLinesAndPrices) {
  const sys_days d1 = 2016y / November / 8, d0 = 2015y / March / 1;
  std::vector<SuperstoreLine> lines = {
      line("CA-2", d1, "C-1", "P-1", 26196, 2),  // 130.98 each
      line("CA-2", d1, "C-1", "P-2", 1000, 3),   // 3.333.. each -> 333
      line("CA-2", d1, "C-1", "P-1", 13098, 1),  // the same product again in the order: merged
      line("CA-1", d0, "C-2", "P-2", 800, 1, 0.2),  // earlier: goes first; list price 10.00
  };
  const auto batches = superstore_import_batches(lines);
  ASSERT_EQ(batches.size(), 1U);
  EXPECT_EQ(batches[0].csv_lines, 4U);
  EXPECT_EQ(batches[0].orders, 2U);
  const auto body = json::parse(batches[0].json).as_object();
  EXPECT_EQ(body.at("source"), "superstore");

  const auto orders = all_of(batches, "orders");
  ASSERT_EQ(orders.size(), 2U);
  EXPECT_EQ(orders[0].at("key"), "CA-1");
  EXPECT_EQ(orders[0].at("placed_at"), "2015-03-01T12:00:00Z");
  EXPECT_EQ(orders[0].at("shipped_at"), "2015-03-04T12:00:00Z");
  EXPECT_EQ(orders[0].at("delivered_at"), "2015-03-04T12:00:00Z");
  const auto& second = orders[1];
  EXPECT_EQ(second.at("key"), "CA-2");
  EXPECT_EQ(second.at("customer_key"), "C-1");
  EXPECT_EQ(second.at("currency"), "USD");
  const auto& order_lines = second.at("lines").as_array();
  ASSERT_EQ(order_lines.size(), 2U);
  EXPECT_EQ(order_lines[0].at("sku"), "P-1");
  EXPECT_EQ(order_lines[0].at("quantity"), 3);
  EXPECT_EQ(order_lines[0].at("unit_price").at("amount_minor"), 13098);
  EXPECT_EQ(order_lines[1].at("unit_price").at("amount_minor"), 333);
  EXPECT_EQ(order_lines[1].at("unit_price").at("currency"), "USD");

  const auto products = all_of(batches, "products");
  ASSERT_EQ(products.size(), 2U);
  // P-2 first (its first order is the earliest); priced from its latest line: 10.00 / 3.
  EXPECT_EQ(products[0].at("sku"), "P-2");
  EXPECT_EQ(products[0].at("price").at("amount_minor"), 333);
  EXPECT_EQ(products[0].at("category"), "Furniture");
  EXPECT_EQ(products[0].at("sub_category"), "Chairs");
  EXPECT_EQ(products[0].at("stock"), 100);
  EXPECT_EQ(products[1].at("price").at("amount_minor"), 13098);
  const auto customers = all_of(batches, "customers");
  ASSERT_EQ(customers.size(), 2U);
  EXPECT_EQ(customers[0].at("key"), "C-2");
  EXPECT_EQ(customers[0].at("name"), "Name of C-2");
}

TEST(SuperstoreBatches, TheCommittedSampleSplitsUnderTheLimitSendingEachThingOnce) {
  const auto lines = read_superstore_csv(ORDERLINE_SOURCE_DIR "/tests/fixtures/superstore_sample.csv");
  SuperstoreBatchOptions options;
  options.max_bytes = 4000;
  const auto batches = superstore_import_batches(lines, options);
  EXPECT_GT(batches.size(), 3U);
  std::size_t csv_lines = 0;
  for (const auto& b : batches) {
    EXPECT_LE(b.json.size(), options.max_bytes);
    csv_lines += b.csv_lines;
  }
  EXPECT_EQ(csv_lines, lines.size());
  std::set<std::string> customers, products, orders;
  for (const auto& c : all_of(batches, "customers")) EXPECT_TRUE(customers.insert(std::string(c.at("key").as_string())).second);
  for (const auto& p : all_of(batches, "products")) EXPECT_TRUE(products.insert(std::string(p.at("sku").as_string())).second);
  for (const auto& o : all_of(batches, "orders")) EXPECT_TRUE(orders.insert(std::string(o.at("key").as_string())).second);
  EXPECT_EQ(customers.size(), 16U);
  EXPECT_EQ(products.size(), 36U);
  EXPECT_EQ(orders.size(), 18U);
}

TEST(SuperstoreBatches, ContradictionsAndOversizedOrdersAreErrors) {
  const sys_days d = 2016y / November / 8;
  std::vector<SuperstoreLine> two_customers = {line("CA-9", d, "C-1", "P-1", 100, 1), line("CA-9", d, "C-2", "P-2", 100, 1)};
  EXPECT_THROW(superstore_import_batches(two_customers), std::runtime_error);
  SuperstoreBatchOptions tiny;
  tiny.max_bytes = 200;
  EXPECT_THROW(superstore_import_batches({line("CA-9", d, "C-1", "P-1", 100, 1)}, tiny), std::runtime_error);
}

}  // namespace
}  // namespace orderline::cli
