#pragma once
// The body of POST /api/v1/admin/import/orders (issue 9): one batch of an earlier system's
// history — customers, products and orders — named by that system's own keys. The ids the
// engine uses are derived from (source, key), so importing the same history twice lands on
// the same streams and commands and creates nothing new:
//
//   customer_id = uuid_v5(kIdNamespace, "import\n" + source + "\ncustomer\n" + key)
//   order_id    = uuid_v5(kIdNamespace, "import\n" + source + "\norder\n" + key)
//   sku         = the product's sku as given (the catalogue's key)
//   command ids = "import-customer-<customer_id>", "import-product-" + uuid_v5(..."\nproduct\n" + sku),
//                 "import-order-<order_id>"
//
//   {"source": "superstore",
//    "customers": [{"key": "CG-12520", "name": "Claire Gute"}],
//    "products": [{"sku": "FUR-BO-10001798", "name": "Bush Somerset Collection Bookcase",
//                  "category": "Furniture", "sub_category": "Bookcases",
//                  "price": {"amount_minor": 13098, "currency": "USD"}, "stock": 100}],
//    "orders": [{"key": "CA-2016-152156", "customer_key": "CG-12520", "currency": "USD",
//                "placed_at": "2016-11-08T00:00:00Z", "shipped_at": "2016-11-11T00:00:00Z",
//                "delivered_at": "2016-11-11T00:00:00Z",
//                "lines": [{"sku": "FUR-BO-10001798", "quantity": 2,
//                           "unit_price": {"amount_minor": 13098, "currency": "USD"},
//                           "name": "Bush Somerset Collection Bookcase"}]}]}
//
// An order's customer and products may come in the same batch or an earlier one.
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/json_mapping.h"
#include "orderline/v1/commands.pb.h"

namespace orderline::gateway {

struct ImportedCustomer {
  std::string key;   // the source's customer id
  std::string name;  // sealed with the customer's own key before it reaches the log
};

struct ImportedOrder {
  std::string key;           // the source's order id
  std::string customer_key;  // the source's customer id
  v1::ImportHistoricalOrder body;  // order_id, customer_id and source left for the route to set
};

struct ImportBatch {
  std::string source;
  std::vector<ImportedCustomer> customers;
  std::vector<v1::CreateProduct> products;
  std::vector<ImportedOrder> orders;
};

// Items of each kind a batch may hold; the body limit (413) usually stops a batch first.
inline constexpr std::size_t kMaxImportItems = 1000;

// Shapes and types only (plus the limits that bound the work of a hostile body); the domain
// checks the business rules of each command.
Parsed<ImportBatch> parse_import_batch(const boost::json::value& body);

// The derived ids above.
std::string imported_customer_id(std::string_view source, std::string_view key);
std::string imported_order_id(std::string_view source, std::string_view key);
std::string imported_product_command_id(std::string_view source, std::string_view sku);

}  // namespace orderline::gateway
