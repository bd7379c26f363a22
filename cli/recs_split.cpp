#include "cli/recs_split.h"

namespace orderline::cli::recs {

using recommendations::RankingSummary;

History history_of(const std::vector<SuperstoreLine>& lines, ItemLevel level) {
  History history;
  for (const auto& line : lines) {
    auto& order = history.orders[line.order_id];
    order.customer_id = line.customer_id;
    order.date = line.order_date;
    const auto& item = level == ItemLevel::product ? line.product_id : line.sub_category;
    order.items.emplace(item, level == ItemLevel::product ? line.product_name : line.sub_category);
    history.sub_category.emplace(item, line.sub_category);
  }
  return history;
}

Split split_of(const std::map<std::string, Order>& orders, std::chrono::sys_days at, std::chrono::sys_days end) {
  Split split;
  std::set<std::string> catalogue;
  std::map<std::string, std::set<std::string>> test_items;
  for (const auto& [id, order] : orders) {
    for (const auto& [item, name] : order.items) catalogue.insert(item);
    if (order.date < at) {
      split.train_orders.emplace_back(id, &order);
      for (const auto& [item, name] : order.items) split.train_items[order.customer_id].insert(item);
    } else if (order.date < end) {
      for (const auto& [item, name] : order.items) test_items[order.customer_id].insert(item);
    }
  }
  for (const auto& [customer, items] : test_items) {
    auto trained = split.train_items.find(customer);
    if (trained == split.train_items.end()) continue;
    std::unordered_set<std::string> relevant;
    for (const auto& item : items) {
      if (!trained->second.count(item)) relevant.insert(item);
    }
    if (!relevant.empty()) split.relevant.emplace(customer, std::move(relevant));
  }
  split.catalogue = catalogue.size();
  return split;
}

RankingSummary score(const Split& split, std::size_t k, const Recommend& recommend) {
  RankingSummary summary;
  for (const auto& [customer, relevant] : split.relevant) {
    const auto& history = split.train_items.at(customer);
    summary.add(recommend(customer, std::vector<std::string>(history.begin(), history.end())), relevant, k);
  }
  return summary;
}

}  // namespace orderline::cli::recs
