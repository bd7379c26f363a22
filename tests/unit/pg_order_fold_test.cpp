// The PostgreSQL order fold without a server: the rows and deltas a batch produces, and the
// array literals the bulk writes carry.
#include <gtest/gtest.h>

#include "projections/postgres/order_fold.h"
#include "projections/postgres/sql_array.h"

namespace orderline::projections::pg {
namespace {

struct Event {
  eventstore::LogRecord record;
  v1::EventEnvelope envelope;
  v1::EventPayload payload;
};

Event placed(const std::string& id, std::int64_t at_us) {
  Event e;
  e.envelope.set_stream_id("order-" + id);
  e.envelope.set_stream_version(1);
  e.envelope.set_type("OrderPlaced");
  e.envelope.set_occurred_at_us(at_us);
  auto* p = e.payload.mutable_order_placed();
  p->set_order_id(id);
  p->set_customer_id("c1");
  p->set_currency("EUR");
  auto* line = p->add_lines();
  line->set_sku("SKU-1");
  line->set_quantity(3);
  line->mutable_unit_price()->set_amount_minor(100);
  line->mutable_unit_price()->set_currency("EUR");
  p->mutable_total()->set_amount_minor(300);
  p->mutable_total()->set_currency("EUR");
  for (const auto& [machine, to] : {std::pair{"order", "placed"}, {"payment", "not_paid"}, {"fulfillment", "unfulfilled"}}) {
    auto* t = p->add_transitions();
    t->set_machine(machine);
    t->set_to(to);
  }
  return e;
}

Event cancelled(const std::string& id, std::int64_t at_us) {
  Event e;
  e.envelope.set_stream_id("order-" + id);
  e.envelope.set_stream_version(2);
  e.envelope.set_type("OrderCancelled");
  e.envelope.set_occurred_at_us(at_us);
  auto* t = e.payload.mutable_order_cancelled()->add_transitions();
  t->set_machine("order");
  t->set_from("placed");
  t->set_to("cancelled");
  return e;
}

void apply(OrderFold& fold, const Event& e) { fold.apply(EventContext{e.record, e.envelope, e.payload}); }

TEST(UtcDay, RoundsTowardsThePast) {
  EXPECT_EQ(utc_day(0), 0);
  EXPECT_EQ(utc_day(86'400'000'000 - 1), 0);
  EXPECT_EQ(utc_day(86'400'000'000), 1);
  EXPECT_EQ(utc_day(-1), -1);
  EXPECT_EQ(utc_day(1'764'000'000'000'000), 20416);  // 2025-11-24
}

TEST(OrderFold, PlacedAndCancelledInOneBatchLeavesNoSaleButCountsBoth) {
  OrderFold fold;
  apply(fold, placed("o1", 1'764'000'000'000'000));
  apply(fold, cancelled("o1", 1'764'000'000'000'001));
  auto changes = fold.take();
  ASSERT_EQ(changes.orders.size(), 1u);
  EXPECT_EQ(changes.orders.at("o1").status, "cancelled");
  EXPECT_EQ(changes.orders.at("o1").version, 2u);
  EXPECT_EQ(changes.new_lines.size(), 1u);
  EXPECT_EQ(changes.history.size(), 4u);
  const auto& customer = changes.customers.at({"c1", "EUR"});
  EXPECT_EQ(customer.placed, 1);
  EXPECT_EQ(customer.cancelled, 1);
  EXPECT_EQ(customer.counted, 0);
  EXPECT_EQ(customer.value_minor, 0);
  EXPECT_EQ(changes.daily.at({20416, "EUR"}).orders, 0);
  EXPECT_EQ(changes.daily_products.at({20416, "SKU-1", "EUR"}).quantity, 0);
}

TEST(OrderFold, ACancellationOfAnEarlierOrderSubtractsFromItsPlacementDay) {
  OrderFold fold;
  StoredOrder stored;
  stored.header.order_id = "o1";
  stored.header.customer_id = "c1";
  stored.header.currency = "EUR";
  stored.header.status = "placed";
  stored.header.total_minor = 300;
  stored.header.created_at_us = 1'764'000'000'000'000;
  stored.lines.push_back(LineRow{"o1", 1, "SKU-1", "n", 3, 100, "EUR"});
  fold.preload(stored);
  apply(fold, cancelled("o1", 1'764'000'000'000'000 + 3 * 86'400'000'000));
  auto changes = fold.take();
  EXPECT_TRUE(changes.new_lines.empty());  // lines were written with the placement
  EXPECT_EQ(changes.daily.at({20416, "EUR"}).orders, -1);
  EXPECT_EQ(changes.daily.at({20416, "EUR"}).revenue_minor, -300);
  EXPECT_EQ(changes.daily_products.at({20416, "SKU-1", "EUR"}).quantity, -3);
  EXPECT_EQ(changes.customers.at({"c1", "EUR"}).counted, -1);
  EXPECT_EQ(changes.customers.at({"c1", "EUR"}).cancelled, 1);
}

TEST(OrderFold, AMoveWithoutPlacementIsSkipped) {
  OrderFold fold;
  apply(fold, cancelled("ghost", 1));
  EXPECT_TRUE(fold.take().empty());
}

TEST(SqlArray, QuotesEveryTextElement) {
  SqlArray text;
  text.add(std::string_view(R"(a"b\c)"));
  text.add(std::string_view("{x},y"));
  text.add(std::string_view("NULL"));
  EXPECT_EQ(text.str(), R"({"a\"b\\c","{x},y","NULL"})");
  SqlArray numbers;
  numbers.add(std::int64_t{-5});
  numbers.add(std::uint64_t{7});
  EXPECT_EQ(numbers.str(), "{-5,7}");
  EXPECT_EQ(SqlArray().str(), "{}");
}

}  // namespace
}  // namespace orderline::projections::pg
