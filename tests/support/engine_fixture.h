#pragma once
// In-process pieces of the engine on a temporary directory, for tests of the layers
// above the log: a real EmbeddedLog, a catalogue lookup of fixed products, and helpers
// that build commands.
#include <map>
#include <memory>
#include <string>

#include "commands/command_processor.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/partitioning.h"
#include "tests/support/process.h"

namespace orderline::testing {

inline commands::Lookups fixed_lookups() {
  commands::Lookups lookups;
  static const std::map<std::string, domain::ProductSnapshot, std::less<>> products = [] {
    std::map<std::string, domain::ProductSnapshot, std::less<>> all;
    for (const auto& [sku, price] : {std::pair{"SKU-1", 1000}, std::pair{"SKU-2", 250}}) {
      domain::ProductSnapshot snapshot;
      snapshot.sku = sku;
      snapshot.name = std::string("Product ") + sku;
      snapshot.price.set_amount_minor(price);
      snapshot.price.set_currency("EUR");
      snapshot.active = true;
      all.emplace(sku, snapshot);
    }
    return all;
  }();
  lookups.catalogue = [](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    auto it = products.find(sku);
    if (it == products.end()) return std::nullopt;
    return it->second;
  };
  lookups.customer_exists = [](std::string_view) { return true; };
  lookups.now_us = [] { return std::int64_t{1'764'000'000'000'000}; };
  return lookups;
}

inline v1::Command place_order(const std::string& order_id, const std::string& customer_id = "cust-1",
                               std::vector<std::pair<std::string, int>> lines = {{"SKU-1", 2}}) {
  v1::Command command;
  command.set_command_id("place-" + order_id);
  command.set_stream_id(domain::order_stream(order_id));
  command.set_expected_version(-1);
  command.set_request_hash("hash-" + order_id);
  command.set_actor("test");
  auto* body = command.mutable_place_order();
  body->set_order_id(order_id);
  body->set_customer_id(customer_id);
  body->set_currency("EUR");
  for (const auto& [sku, quantity] : lines) {
    auto* line = body->add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  return command;
}

// action: pay, ship, deliver, cancel.
inline v1::Command order_action(const std::string& order_id, const std::string& action,
                                std::int64_t expected_version = -1) {
  v1::Command command;
  command.set_command_id(action + "-" + order_id + "-" + std::to_string(expected_version));
  command.set_stream_id(domain::order_stream(order_id));
  command.set_expected_version(expected_version);
  command.set_request_hash(action);
  v1::OrderAction body;
  body.set_order_id(order_id);
  if (action == "pay") *command.mutable_pay_order() = body;
  else if (action == "ship") *command.mutable_ship_order() = body;
  else if (action == "deliver") *command.mutable_deliver_order() = body;
  else if (action == "cancel") *command.mutable_cancel_order() = body;
  return command;
}

inline v1::Command create_product(const std::string& sku, std::int64_t price, std::int64_t stock) {
  v1::Command command;
  command.set_command_id("create-" + sku);
  command.set_stream_id(domain::product_stream(sku));
  command.set_expected_version(-1);
  command.set_request_hash("create");
  auto* body = command.mutable_create_product();
  body->set_sku(sku);
  body->set_name("Product " + sku);
  body->mutable_price()->set_amount_minor(price);
  body->mutable_price()->set_currency("EUR");
  body->set_stock(stock);
  return command;
}

// The saga's request to hold stock of `sku` for an order (no expiry), and its release: the
// commands that make a product's stream long.
inline v1::Command reserve_stock(const std::string& sku, const std::string& order_id, std::int64_t quantity = 1) {
  v1::Command command;
  command.set_command_id("reserve-" + sku + "-" + order_id);
  command.set_stream_id(domain::product_stream(sku));
  command.set_expected_version(-1);
  command.set_request_hash("reserve-" + order_id);
  auto* body = command.mutable_reserve_stock();
  body->set_sku(sku);
  body->set_order_id(order_id);
  body->set_quantity(quantity);
  return command;
}

inline v1::Command release_stock(const std::string& sku, const std::string& order_id) {
  v1::Command command;
  command.set_command_id("release-" + sku + "-" + order_id);
  command.set_stream_id(domain::product_stream(sku));
  command.set_expected_version(-1);
  command.set_request_hash("release-" + order_id);
  auto* body = command.mutable_release_stock();
  body->set_sku(sku);
  body->set_order_id(order_id);
  body->set_reason("test");
  return command;
}

}  // namespace orderline::testing
