#pragma once
// What a saga run left behind, checked alike after every kill of the saga (in `orderd serve`
// or as `orderd saga`): the product's stream holds stock at most once per order, and the
// simulated provider's ledger authorised nobody twice. A restart repeats an event's actions;
// these are the traces a repeat that was not idempotent would leave.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "commands/payments/simulated_provider.h"
#include "eventstore/event_log.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"

namespace orderline::testing {

// At most one StockReserved per order in `product_stream`, and `held` units held in the end
// (reserved minus released).
inline void expect_one_hold_per_order(const eventstore::EventLog& log, const std::string& product_stream,
                                      std::int64_t held) {
  const auto records = log.read_stream(product_stream);
  ASSERT_TRUE(records) << records.detail;
  std::map<std::string, int> holds;
  std::int64_t now_held = 0;
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  for (const auto& record : *records.value) {
    ASSERT_TRUE(envelope.ParseFromString(record.value) && event.ParseFromString(envelope.payload()));
    if (event.has_stock_reserved()) {
      ++holds[event.stock_reserved().order_id()];
      now_held += event.stock_reserved().quantity();
    }
    if (event.has_stock_released()) now_held -= event.stock_released().quantity();
  }
  for (const auto& [order_id, n] : holds) EXPECT_EQ(n, 1) << order_id << " was reserved " << n << " times";
  EXPECT_EQ(now_held, held);
}

// At most one authorisation per order in the ledger file, `authorized` of them successful.
inline void expect_one_authorisation_per_order(const std::string& ledger_path, int authorized) {
  std::map<std::string, int> authorisations;
  int successful = 0;
  for (const auto& entry : commands::read_ledger(ledger_path)) {
    if (entry.op != commands::PaymentOp::authorize) continue;
    ++authorisations[entry.order_id];
    if (entry.outcome == "authorized") ++successful;
  }
  for (const auto& [order_id, n] : authorisations) EXPECT_EQ(n, 1) << order_id << " was authorised " << n << " times";
  EXPECT_EQ(successful, authorized);
}

}  // namespace orderline::testing
