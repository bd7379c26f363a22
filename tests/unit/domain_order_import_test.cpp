// ImportHistoricalOrder through the public domain interface: an order from history lands in
// its final state with its own prices and dates, is validated like any order, and is never
// imported twice.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "domain/aggregate.h"
#include "domain/money.h"

namespace orderline::domain {
namespace {

constexpr std::int64_t kDay = 86'400'000'000;
constexpr std::int64_t kPlaced = 1'478'563'200'000'000;  // 2016-11-08T00:00:00Z
constexpr std::int64_t kNow = 1'795'943'730'000'000;     // 2026-11-29

class DomainOrderImport : public ::testing::Test {
 protected:
  DomainOrderImport() {
    catalogue_["FUR-BO-10001798"] = {"FUR-BO-10001798", "Bookcase", make_money(14000, "USD"), true};
    catalogue_["FUR-CH-10000454"] = {"FUR-CH-10000454", "Chairs", make_money(24398, "USD"), false};  // discontinued since
    ctx_.now_us = kNow;
    ctx_.catalogue = [this](std::string_view sku) -> std::optional<ProductSnapshot> {
      auto it = catalogue_.find(std::string(sku));
      if (it == catalogue_.end()) return std::nullopt;
      return it->second;
    };
    ctx_.customer_exists = [](std::string_view id) { return id == "cust-1"; };
    ctx_.saga = true;  // the saga runs for live orders, never for imported ones
  }

  static v1::Command import_command(const std::string& order_id = "o-1") {
    v1::Command c;
    c.set_command_id("import-order-" + order_id);
    c.set_stream_id(order_stream(order_id));
    c.set_expected_version(-1);
    auto* body = c.mutable_import_historical_order();
    body->set_order_id(order_id);
    body->set_customer_id("cust-1");
    body->set_currency("USD");
    body->set_placed_at_us(kPlaced);
    body->set_shipped_at_us(kPlaced + 3 * kDay);
    body->set_delivered_at_us(kPlaced + 3 * kDay);
    body->set_source("superstore CA-2016-152156");
    auto add_line = [body](const std::string& sku, int quantity, std::int64_t unit_price, const std::string& name) {
      auto* line = body->add_lines();
      line->set_sku(sku);
      line->set_quantity(quantity);
      *line->mutable_unit_price() = make_money(unit_price, "USD");
      line->set_name(name);
    };
    add_line("FUR-BO-10001798", 2, 13098, "Bush Somerset Collection Bookcase");
    add_line("FUR-CH-10000454", 3, 24398, "");
    return c;
  }

  Decision decide_on(const AggregateState& state, const v1::Command& c) const { return decide(state, c, ctx_); }

  // The rejection of the import after `change`, as "code field".
  std::string rejection_after(const std::function<void(v1::ImportHistoricalOrder&)>& change) const {
    auto c = import_command();
    change(*c.mutable_import_historical_order());
    auto d = decide_on(initial_state(c.stream_id()), c);
    if (!d.rejection) return "accepted";
    return d.rejection->code + " " + d.rejection->field;
  }

  std::map<std::string, ProductSnapshot> catalogue_;
  DecideContext ctx_;
};

TEST_F(DomainOrderImport, LandsCompletedWithItsPricesDatesAndNoSaga) {
  auto c = import_command();
  auto state = initial_state(c.stream_id());
  auto d = decide_on(state, c);
  ASSERT_FALSE(d.rejection) << d.rejection->detail;
  ASSERT_EQ(d.events.size(), 4U);
  EXPECT_EQ(event_type(d.events[0]), "OrderPlaced");
  EXPECT_EQ(event_type(d.events[1]), "OrderPaid");
  EXPECT_EQ(event_type(d.events[2]), "OrderShipped");
  EXPECT_EQ(event_type(d.events[3]), "OrderDelivered");
  EXPECT_EQ(d.occurred_at_us, (std::vector<std::int64_t>{kPlaced, kPlaced, kPlaced + 3 * kDay, kPlaced + 3 * kDay}));

  const auto& placed = d.events[0].order_placed();
  EXPECT_TRUE(placed.imported());
  EXPECT_FALSE(placed.saga());
  EXPECT_EQ(placed.customer_id(), "cust-1");
  ASSERT_EQ(placed.lines_size(), 2);
  // Prices as sold, not today's catalogue price; a line without a name takes the catalogue's.
  EXPECT_EQ(placed.lines(0).unit_price().amount_minor(), 13098);
  EXPECT_EQ(placed.lines(0).name(), "Bush Somerset Collection Bookcase");
  EXPECT_EQ(placed.lines(1).name(), "Chairs");
  EXPECT_EQ(placed.total().amount_minor(), 2 * 13098 + 3 * 24398);
  EXPECT_EQ(placed.total().currency(), "USD");
  EXPECT_EQ(d.events[1].order_paid().amount().amount_minor(), placed.total().amount_minor());
  EXPECT_EQ(d.events[3].order_delivered().reason(), "imported from superstore CA-2016-152156");

  for (const auto& e : d.events) evolve(state, e);
  EXPECT_EQ(version_of(state), 4U);
  const auto& order = std::get<OrderState>(state);
  EXPECT_EQ(order.status, "completed");
  EXPECT_EQ(order.payment_status, "captured");
  EXPECT_EQ(order.fulfillment_status, "delivered");
  EXPECT_FALSE(order.saga);

  // A second import of the same order changes nothing.
  auto again = decide_on(state, c);
  ASSERT_TRUE(again.rejection);
  EXPECT_EQ(again.rejection->code, "already_exists");
}

TEST_F(DomainOrderImport, ValidatedLikeAnyOrder) {
  EXPECT_EQ(rejection_after([](auto&) {}), "accepted");
  EXPECT_EQ(rejection_after([](auto& b) { b.clear_lines(); }), "validation_failed lines");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(0)->set_quantity(0); }), "validation_failed lines[0].quantity");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(1)->set_quantity(1000); }),
            "validation_failed lines[1].quantity");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(1)->set_sku("FUR-BO-10001798"); }),
            "validation_failed lines[1].sku");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(1)->set_sku("NOPE-1"); }), "unknown_sku lines[1].sku");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_currency("XXX"); }), "validation_failed currency");
  // One currency: every line's price is in the order's.
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(1)->mutable_unit_price()->set_currency("EUR"); }),
            "currency_mismatch lines[1].unit_price.currency");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(0)->mutable_unit_price()->set_amount_minor(-1); }),
            "validation_failed lines[0].unit_price.amount_minor");
  EXPECT_EQ(rejection_after([](auto& b) { b.mutable_lines(0)->set_name(std::string(201, 'x')); }),
            "validation_failed lines[0].name");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_customer_id("stranger"); }), "unknown_customer customer_id");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_customer_id(""); }), "validation_failed customer_id");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_order_id("another"); }), "validation_failed order_id");
  // History happens in order, and in the past.
  EXPECT_EQ(rejection_after([](auto& b) { b.set_placed_at_us(0); }), "validation_failed placed_at");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_shipped_at_us(kPlaced - 1); }), "validation_failed shipped_at");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_delivered_at_us(kPlaced + kDay); }), "validation_failed delivered_at");
  EXPECT_EQ(rejection_after([](auto& b) { b.set_delivered_at_us(kNow + 1); }), "validation_failed delivered_at");
}

TEST_F(DomainOrderImport, OnlyOnANewOrderStream) {
  // A live order with the same id is not overwritten by history.
  auto c = import_command();
  auto state = initial_state(c.stream_id());
  v1::Command place;
  place.set_stream_id(c.stream_id());
  auto* body = place.mutable_place_order();
  body->set_order_id("o-1");
  body->set_customer_id("cust-1");
  body->set_currency("USD");
  auto* line = body->add_lines();
  line->set_sku("FUR-BO-10001798");
  line->set_quantity(1);
  auto placed = decide_on(state, place);
  ASSERT_FALSE(placed.rejection) << placed.rejection->detail;
  EXPECT_TRUE(placed.occurred_at_us.empty());  // live events happen now
  for (const auto& e : placed.events) evolve(state, e);
  auto d = decide_on(state, c);
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "already_exists");
  // And a product stream does not take it.
  EXPECT_TRUE(decide_on(initial_state(product_stream("FUR-BO-10001798")), c).rejection);
}

}  // namespace
}  // namespace orderline::domain
