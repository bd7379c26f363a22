#include "cli/superstore_batches.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace orderline::cli {
namespace json = boost::json;

namespace {

constexpr const char* kCurrency = "USD";

json::object money(std::int64_t cents) { return {{"amount_minor", cents}, {"currency", kCurrency}}; }

// Noon UTC of the day: the same calendar date in every time zone from UTC-12 to UTC+11.
std::string noon_utc(std::chrono::sys_days day) {
  const std::chrono::year_month_day date{day};
  return fmt::format("{:04}-{:02}-{:02}T12:00:00Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

// a / b rounded half up, for non-negative a and positive b.
std::int64_t divide_rounded(std::int64_t a, std::int64_t b) { return (2 * a + b) / (2 * b); }

struct Order {
  const SuperstoreLine* first = nullptr;  // its customer and dates
  std::vector<const SuperstoreLine*> lines;
};

// Every order's lines, checked to agree on customer and dates, in order date order.
std::vector<Order> orders_of(const std::vector<SuperstoreLine>& lines) {
  std::unordered_map<std::string, std::size_t> index;
  std::vector<Order> orders;
  for (const auto& line : lines) {
    auto [it, fresh] = index.emplace(line.order_id, orders.size());
    if (fresh) orders.push_back({&line, {}});
    Order& order = orders[it->second];
    const SuperstoreLine& first = *order.first;
    if (line.customer_id != first.customer_id || line.order_date != first.order_date ||
        line.ship_date != first.ship_date) {
      throw std::runtime_error(fmt::format(
          "row {}: order {} has another customer or other dates than on row {}", line.row, line.order_id, first.row));
    }
    order.lines.push_back(&line);
  }
  std::stable_sort(orders.begin(), orders.end(), [](const Order& a, const Order& b) {
    return std::tie(a.first->order_date, a.first->order_id) < std::tie(b.first->order_date, b.first->order_id);
  });
  return orders;
}

// The catalogue entry of each product, from its latest line (latest order date, then row).
std::map<std::string, const SuperstoreLine*> latest_lines(const std::vector<SuperstoreLine>& lines) {
  std::map<std::string, const SuperstoreLine*> latest;
  for (const auto& line : lines) {
    auto& slot = latest[line.product_id];
    if (!slot || std::tie(slot->order_date, slot->row) < std::tie(line.order_date, line.row)) slot = &line;
  }
  return latest;
}

json::object product_json(const SuperstoreLine& line, std::int64_t stock) {
  // The list price: what one unit cost before the line's discount. At least a cent (the
  // catalogue takes no free products).
  const double list = static_cast<double>(line.sales_cents) / line.quantity / (1.0 - line.discount);
  const auto price = std::max<std::int64_t>(1, std::llround(list));
  return {{"sku", line.product_id},   {"name", line.product_name},
          {"category", line.category}, {"sub_category", line.sub_category},
          {"price", money(price)},     {"stock", stock}};
}

json::object order_json(const Order& order) {
  // One line per product, in the order the file lists them.
  std::vector<std::string> skus;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> merged;  // sku -> (quantity, sales cents)
  std::map<std::string, std::string> names;
  for (const auto* line : order.lines) {
    auto [it, fresh] = merged.try_emplace(line->product_id, 0, 0);
    if (fresh) {
      skus.push_back(line->product_id);
      names[line->product_id] = line->product_name;
    }
    it->second.first += line->quantity;
    it->second.second += line->sales_cents;
  }
  json::array lines;
  for (const auto& sku : skus) {
    const auto [quantity, sales] = merged[sku];
    lines.push_back(json::object{{"sku", sku},
                                 {"quantity", quantity},
                                 {"unit_price", money(divide_rounded(sales, quantity))},
                                 {"name", names[sku]}});
  }
  const auto& first = *order.first;
  return {{"key", first.order_id},
          {"customer_key", first.customer_id},
          {"currency", kCurrency},
          {"placed_at", noon_utc(first.order_date)},
          {"shipped_at", noon_utc(first.ship_date)},
          {"delivered_at", noon_utc(first.ship_date)},
          {"lines", std::move(lines)}};
}

class BatchBuilder {
 public:
  explicit BatchBuilder(std::size_t max_bytes) : max_bytes_(max_bytes) { clear(); }

  // Adds one order with the customer and products it brings; false when they do not fit.
  bool try_add(json::object order, std::vector<json::object> customers, std::vector<json::object> products,
               std::size_t csv_lines) {
    std::size_t bytes = json::serialize(order).size() + 1;
    for (const auto& c : customers) bytes += json::serialize(c).size() + 1;
    for (const auto& p : products) bytes += json::serialize(p).size() + 1;
    if (bytes_ + bytes > max_bytes_) return false;
    bytes_ += bytes;
    for (auto& c : customers) body_["customers"].as_array().push_back(std::move(c));
    for (auto& p : products) body_["products"].as_array().push_back(std::move(p));
    body_["orders"].as_array().push_back(std::move(order));
    current_.csv_lines += csv_lines;
    ++current_.orders;
    return true;
  }

  bool empty() const { return current_.orders == 0; }

  ImportBatchText take() {
    current_.json = json::serialize(body_);
    ImportBatchText out = std::move(current_);
    clear();
    return out;
  }

 private:
  void clear() {
    body_ = {{"source", "superstore"}, {"customers", json::array{}}, {"products", json::array{}}, {"orders", json::array{}}};
    bytes_ = json::serialize(body_).size();
    current_ = {};
  }

  std::size_t max_bytes_;
  json::object body_;
  std::size_t bytes_ = 0;
  ImportBatchText current_;
};

}  // namespace

std::vector<ImportBatchText> superstore_import_batches(const std::vector<SuperstoreLine>& lines,
                                                       const SuperstoreBatchOptions& options) {
  const auto latest = latest_lines(lines);
  std::set<std::string> customers_sent, products_sent;
  std::vector<ImportBatchText> batches;
  BatchBuilder builder(options.max_bytes);
  for (const auto& order : orders_of(lines)) {
    const auto& first = *order.first;
    std::vector<json::object> customers, products;
    if (!customers_sent.count(first.customer_id)) {
      customers.push_back({{"key", first.customer_id}, {"name", first.customer_name}});
    }
    std::set<std::string> in_order;
    for (const auto* line : order.lines) {
      if (!products_sent.count(line->product_id) && in_order.insert(line->product_id).second) {
        products.push_back(product_json(*latest.at(line->product_id), options.stock));
      }
    }
    auto order_body = order_json(order);
    if (!builder.try_add(order_body, customers, products, order.lines.size())) {
      if (!builder.empty()) batches.push_back(builder.take());
      if (!builder.try_add(std::move(order_body), customers, products, order.lines.size())) {
        throw std::runtime_error(fmt::format("row {}: order {} alone is larger than a batch ({} bytes)", first.row,
                                             first.order_id, options.max_bytes));
      }
    }
    customers_sent.insert(first.customer_id);
    products_sent.insert(in_order.begin(), in_order.end());
  }
  if (!builder.empty()) batches.push_back(builder.take());
  return batches;
}

}  // namespace orderline::cli
