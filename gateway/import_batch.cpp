#include "gateway/import_batch.h"

#include <boost/json.hpp>

#include <algorithm>

#include "gateway/order_search_params.h"
#include "gateway/request_ids.h"

namespace orderline::gateway {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxKeyLength = 100;
constexpr std::size_t kMaxSourceLength = 40;

// Keys of the source system end up in ids and error messages: printable ASCII only.
bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The source names an id space: lower-case letters, digits, '-', '_' and '.'.
bool source_name(std::string_view text) {
  return !text.empty() && text.size() <= kMaxSourceLength && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

std::optional<std::string> key_field(FieldReader& r, std::string_view field) {
  auto key = r.string(field);
  if (key && (key->empty() || key->size() > kMaxKeyLength || !printable(*key))) {
    r.fail(field, "must be 1 to " + std::to_string(kMaxKeyLength) + " printable ASCII characters");
    return std::nullopt;
  }
  return key;
}

std::optional<std::int64_t> time_field(FieldReader& r, std::string_view field) {
  auto text = r.string(field);
  if (!text) return std::nullopt;
  auto micros = parse_rfc3339_micros(*text);
  if (!micros) r.fail(field, "must be an RFC 3339 time, e.g. 2016-11-08T00:00:00Z");
  return micros;
}

// Calls each(reader) for every object of the optional array `key`.
template <typename Each>
void each_object(FieldReader& r, std::vector<FieldError>& errors, std::string_view key, std::size_t max_items,
                 Each each) {
  const auto* items = r.array(key, false);
  if (items == nullptr) return;
  if (items->size() > max_items) {
    r.fail(key, "has more than " + std::to_string(max_items) + " items");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string prefix = r.path(key) + "[" + std::to_string(i) + "]";
    const auto* item = (*items)[i].if_object();
    if (item == nullptr) {
      errors.push_back({prefix, "must be an object"});
      continue;
    }
    FieldReader reader(*item, errors, prefix);
    each(reader);
  }
}

ImportedCustomer read_customer(FieldReader& r) {
  ImportedCustomer customer;
  if (auto v = key_field(r, "key")) customer.key = *v;
  if (auto v = r.string("name")) {
    // Checked here: once sealed, the domain cannot read it.
    if (v->empty() || v->size() > 200) r.fail("name", "must have 1 to 200 characters");
    customer.name = *v;
  }
  return customer;
}

v1::CreateProduct read_product(FieldReader& r) {
  v1::CreateProduct product;
  if (auto v = r.string("sku")) product.set_sku(*v);
  if (auto v = r.string("name")) product.set_name(*v);
  if (auto v = r.string("category", false)) product.set_category(*v);
  if (auto v = r.string("sub_category", false)) product.set_sub_category(*v);
  if (auto v = r.money("price")) *product.mutable_price() = *v;
  if (auto v = r.int64("stock")) product.set_stock(*v);
  return product;
}

ImportedOrder read_order(FieldReader& r, std::vector<FieldError>& errors) {
  ImportedOrder order;
  if (auto v = key_field(r, "key")) order.key = *v;
  if (auto v = key_field(r, "customer_key")) order.customer_key = *v;
  auto& body = order.body;
  if (auto v = r.string("currency")) body.set_currency(*v);
  if (auto v = time_field(r, "placed_at")) body.set_placed_at_us(*v);
  if (auto v = time_field(r, "shipped_at")) body.set_shipped_at_us(*v);
  if (auto v = time_field(r, "delivered_at")) body.set_delivered_at_us(*v);
  if (r.array("lines") == nullptr) return order;  // required
  // Far beyond what the domain accepts (kMaxLines); bounds the work of a hostile body.
  each_object(r, errors, "lines", kMaxImportItems, [&](FieldReader& lr) {
    auto* line = body.add_lines();
    if (auto v = lr.string("sku")) line->set_sku(*v);
    if (auto v = lr.int32("quantity")) line->set_quantity(*v);
    if (auto v = lr.money("unit_price")) *line->mutable_unit_price() = *v;
    if (auto v = lr.string("name", false)) line->set_name(*v);
  });
  return order;
}

}  // namespace

Parsed<ImportBatch> parse_import_batch(const json::value& body) {
  Parsed<ImportBatch> out;
  const auto* root = body.if_object();
  if (root == nullptr) {
    out.errors.push_back({"", "the body must be a JSON object"});
    return out;
  }
  FieldReader r(*root, out.errors);
  if (auto v = r.string("source")) {
    if (!source_name(*v)) {
      r.fail("source", "must be 1 to " + std::to_string(kMaxSourceLength) +
                           " characters of a-z, 0-9, '-', '_' and '.'");
    }
    out.value.source = *v;
  }
  auto& batch = out.value;
  each_object(r, out.errors, "customers", kMaxImportItems,
              [&](FieldReader& item) { batch.customers.push_back(read_customer(item)); });
  each_object(r, out.errors, "products", kMaxImportItems,
              [&](FieldReader& item) { batch.products.push_back(read_product(item)); });
  each_object(r, out.errors, "orders", kMaxImportItems,
              [&](FieldReader& item) { batch.orders.push_back(read_order(item, out.errors)); });
  return out;
}

std::string imported_customer_id(std::string_view source, std::string_view key) {
  return uuid_v5(kIdNamespace, "import\n" + std::string(source) + "\ncustomer\n" + std::string(key));
}

std::string imported_order_id(std::string_view source, std::string_view key) {
  return uuid_v5(kIdNamespace, "import\n" + std::string(source) + "\norder\n" + std::string(key));
}

std::string imported_product_command_id(std::string_view source, std::string_view sku) {
  return "import-product-" + uuid_v5(kIdNamespace, "import\n" + std::string(source) + "\nproduct\n" + std::string(sku));
}

}  // namespace orderline::gateway
