// The domain side of the order saga, as pure decide/evolve: how an order takes the saga's
// replies (stock, payment, time-outs), what `pay` means on an order the saga runs, and how a
// product commits and ships an order's hold. Deterministic: time is a parameter.
#include <gtest/gtest.h>

#include "domain/aggregate.h"
#include "domain/money.h"

namespace orderline::domain {
namespace {

constexpr std::int64_t kNow = 1'764'000'000'000'000;
constexpr std::int64_t kTtl = 60'000'000;

DecideContext context(std::int64_t now_us = kNow, bool saga = true) {
  DecideContext ctx;
  ctx.now_us = now_us;
  ctx.saga = saga;
  ctx.customer_exists = [](std::string_view) { return true; };
  ctx.catalogue = [](std::string_view sku) -> std::optional<ProductSnapshot> {
    return ProductSnapshot{std::string(sku), "P", make_money(500, "EUR"), true};
  };
  return ctx;
}

v1::Command order_command(const std::string& order_id = "o1") {
  v1::Command c;
  c.set_command_id("c");
  c.set_stream_id(order_stream(order_id));
  c.set_expected_version(-1);
  return c;
}

Decision run(AggregateState& s, const v1::Command& c, const DecideContext& ctx = context()) {
  auto d = decide(s, c, ctx);
  if (!d.rejection) {
    for (const auto& e : d.events) evolve(s, e);
  }
  return d;
}

const OrderState& order(const AggregateState& s) { return std::get<OrderState>(s); }

AggregateState placed(std::vector<std::string> skus = {"A", "B"}, bool saga = true) {
  auto s = initial_state(order_stream("o1"));
  auto c = order_command();
  auto* body = c.mutable_place_order();
  body->set_customer_id("c1");
  body->set_currency("EUR");
  for (const auto& sku : skus) {
    auto* line = body->add_lines();
    line->set_sku(sku);
    line->set_quantity(1);
  }
  auto d = run(s, c, context(kNow, saga));
  EXPECT_FALSE(d.rejection);
  return s;
}

v1::Command stock(const std::string& sku, bool reserved, std::int64_t expires_at = kNow + kTtl) {
  auto c = order_command();
  auto* body = c.mutable_record_stock();
  body->set_order_id("o1");
  body->set_sku(sku);
  body->set_reserved(reserved);
  body->set_quantity(1);
  body->set_expires_at_us(expires_at);
  return c;
}

v1::Command payment(const std::string& outcome) {
  auto c = order_command();
  c.mutable_record_payment()->set_order_id("o1");
  c.mutable_record_payment()->set_outcome(outcome);
  return c;
}

v1::Command expire() {
  auto c = order_command();
  c.mutable_expire_order()->set_order_id("o1");
  c.mutable_expire_order()->set_due_at_us(kNow + kTtl);
  return c;
}

v1::Command pay() {
  auto c = order_command();
  c.mutable_pay_order()->set_order_id("o1");
  return c;
}

AggregateState held_both() {
  auto s = placed();
  run(s, stock("A", true));
  run(s, stock("B", true, kNow + 2 * kTtl));
  return s;
}

TEST(OrderSagaTest, PlacementIsMarkedForTheSagaOnlyWhenItRuns) {
  EXPECT_TRUE(order(placed()).saga);
  EXPECT_FALSE(order(placed({"A"}, false)).saga);
}

TEST(OrderSagaTest, HoldsAreRecordedOnceWithTheEarliestTimeOut) {
  auto s = placed();
  auto d = run(s, stock("A", true, kNow + 2 * kTtl));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "OrderStockReserved");
  EXPECT_EQ(d.events[0].order_stock_reserved().timeout_due_at_us(), kNow + 2 * kTtl);
  EXPECT_TRUE(run(s, stock("A", true)).events.empty());  // a repeated reply
  EXPECT_FALSE(order(s).all_lines_held());
  run(s, stock("B", true, kNow + kTtl));
  EXPECT_TRUE(order(s).all_lines_held());
  EXPECT_EQ(order(s).timeout_due_at_us, kNow + kTtl);
  EXPECT_EQ(order(s).status, "placed");
  EXPECT_EQ(order(s).version, 3u);
}

TEST(OrderSagaTest, ARefusedLineCancelsOutOfStock) {
  auto s = placed();
  run(s, stock("A", true));
  auto d = run(s, stock("B", false));
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_order_cancelled());
  EXPECT_EQ(d.events[0].order_cancelled().reason(), "out_of_stock");
  EXPECT_EQ(order(s).status, "cancelled");
  // A hold that arrives afterwards is still recorded (the saga gives it back), without a time-out.
  auto late = run(s, stock("B", true));
  ASSERT_EQ(late.events.size(), 1u);
  EXPECT_EQ(late.events[0].order_stock_reserved().timeout_due_at_us(), 0);
  // A second refusal changes nothing.
  EXPECT_TRUE(run(s, stock("A", false)).events.empty());
}

TEST(OrderSagaTest, AuthorisedWithEveryLineHeldConfirms) {
  auto s = held_both();
  auto d = run(s, payment("authorized"));
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_order_confirmed());
  EXPECT_EQ(d.events[0].order_confirmed().amount().amount_minor(), 1000);
  EXPECT_EQ(order(s).status, "confirmed");
  EXPECT_EQ(order(s).payment_status, "authorized");
  EXPECT_TRUE(run(s, payment("authorized")).events.empty());  // a repeat
  EXPECT_TRUE(run(s, expire()).events.empty());               // the time-out finds it confirmed
}

TEST(OrderSagaTest, AuthorisedBeforeEveryLineIsHeldIsRefused) {
  auto s = placed();
  run(s, stock("A", true));
  auto d = run(s, payment("authorized"));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "invalid_transition");
}

TEST(OrderSagaTest, AuthorisedAfterTheTimeOutExpiresAndVoids) {
  auto s = held_both();
  auto d = run(s, payment("authorized"), context(kNow + kTtl));
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_order_expired());
  EXPECT_EQ(order(s).status, "expired");
  EXPECT_EQ(order(s).payment_status, "voided");
}

TEST(OrderSagaTest, DeclinedCancelsWithAFailedPayment) {
  auto s = held_both();
  auto d = run(s, payment("declined"));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].order_cancelled().reason(), "payment_declined");
  EXPECT_EQ(order(s).status, "cancelled");
  EXPECT_EQ(order(s).payment_status, "failed");
  EXPECT_TRUE(run(s, payment("authorized")).events.empty());  // too late: nothing changes
}

TEST(OrderSagaTest, RequiresActionThenPayThenAuthorised) {
  auto s = held_both();
  auto early = run(s, pay());
  ASSERT_TRUE(early.rejection);  // nothing to complete yet
  EXPECT_EQ(early.rejection->code, "invalid_transition");
  auto d = run(s, payment("requires_action"));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "OrderPaymentActionRequired");
  EXPECT_EQ(order(s).payment_status, "requires_action");
  auto paid = run(s, pay());
  ASSERT_FALSE(paid.rejection) << paid.rejection->detail;
  EXPECT_EQ(event_type(paid.events[0]), "OrderPaymentActionCompleted");
  EXPECT_EQ(order(s).payment_status, "requires_action");  // the provider has the last word
  run(s, payment("authorized"));
  EXPECT_EQ(order(s).status, "confirmed");
  EXPECT_EQ(order(s).payment_status, "authorized");
}

TEST(OrderSagaTest, TheTimeOutExpiresAWaitingOrderAndVoidsItsAction) {
  auto s = held_both();
  run(s, payment("requires_action"));
  auto d = run(s, expire());
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_order_expired());
  EXPECT_EQ(order(s).status, "expired");
  EXPECT_EQ(order(s).payment_status, "voided");
  EXPECT_TRUE(run(s, expire()).events.empty());
}

TEST(OrderSagaTest, AConfirmedOrderLosingItsHoldIsCancelledAndVoided) {
  auto s = held_both();
  run(s, payment("authorized"));
  auto d = run(s, stock("A", false));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(order(s).status, "cancelled");
  EXPECT_EQ(order(s).payment_status, "voided");
}

TEST(OrderSagaTest, PayWithoutTheSagaStillAuthorisesAndCaptures) {
  auto s = placed({"A"}, false);
  run(s, pay());
  EXPECT_EQ(order(s).status, "confirmed");
  EXPECT_EQ(order(s).payment_status, "captured");
}

TEST(OrderSagaTest, RepliesForAnotherOrderOrAMissingOneAreRefused) {
  auto s = placed();
  auto c = stock("A", true);
  c.mutable_record_stock()->set_order_id("other");
  EXPECT_EQ(run(s, c).rejection->code, "validation_failed");
  auto missing = initial_state(order_stream("o1"));
  EXPECT_EQ(run(missing, stock("A", true)).rejection->code, "not_found");
  EXPECT_EQ(run(s, payment("maybe")).rejection->code, "validation_failed");
}

// ---- product: commit and ship a hold -------------------------------------------------------

v1::Command product_command(std::string_view kind, const std::string& order_id, std::int64_t n = 1) {
  v1::Command c;
  c.set_command_id("p");
  c.set_stream_id(product_stream("SKU-1"));
  c.set_expected_version(-1);
  if (kind == "create") {
    auto* body = c.mutable_create_product();
    body->set_sku("SKU-1");
    body->set_name("P");
    *body->mutable_price() = make_money(500, "EUR");
    body->set_stock(n);
  } else if (kind == "reserve") {
    auto* body = c.mutable_reserve_stock();
    body->set_order_id(order_id);
    body->set_quantity(n);
    body->set_ttl_us(kTtl);
  } else if (kind == "commit") {
    c.mutable_commit_stock()->set_order_id(order_id);
  } else if (kind == "ship") {
    c.mutable_ship_stock()->set_order_id(order_id);
  }
  return c;
}

const ProductState& product(const AggregateState& s) { return std::get<ProductState>(s); }

TEST(ProductHoldTest, CommitMakesALiveHoldPermanentAndShipTakesItFromStock) {
  auto s = initial_state(product_stream("SKU-1"));
  run(s, product_command("create", "", 5));
  run(s, product_command("reserve", "o1", 2));
  auto d = run(s, product_command("commit", "o1"), context(kNow + 1));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "StockCommitted");
  EXPECT_EQ(product(s).reservations[0].expires_at_us, 0);
  EXPECT_TRUE(run(s, product_command("commit", "o1")).events.empty());  // a repeat
  // Long after the TTL the committed hold still counts: a newcomer gets only 3.
  auto refused = run(s, product_command("reserve", "o2", 4), context(kNow + 10 * kTtl));
  ASSERT_TRUE(refused.events[0].has_stock_rejected());
  auto shipped = run(s, product_command("ship", "o1"));
  ASSERT_EQ(shipped.events.size(), 1u);
  EXPECT_EQ(shipped.events[0].stock_shipped().on_hand_after(), 3);
  EXPECT_EQ(product(s).on_hand, 3);
  EXPECT_TRUE(product(s).reservations.empty());
  EXPECT_TRUE(run(s, product_command("ship", "o1")).events.empty());
}

TEST(ProductHoldTest, AnExpiredHoldIsCommittedOnlyIfTheStockIsStillFree) {
  auto s = initial_state(product_stream("SKU-1"));
  run(s, product_command("create", "", 2));
  run(s, product_command("reserve", "o1", 2));
  // Expired and still free: committed.
  auto late = s;
  EXPECT_TRUE(run(late, product_command("commit", "o1"), context(kNow + 2 * kTtl)).events[0].has_stock_committed());
  // Expired and taken by someone else meanwhile: refused, so the order hears "out of stock".
  run(s, product_command("reserve", "o2", 1), context(kNow + 2 * kTtl));
  auto d = run(s, product_command("commit", "o1"), context(kNow + 2 * kTtl));
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_stock_rejected());
  EXPECT_EQ(d.events[0].stock_rejected().available(), 1);
}

}  // namespace
}  // namespace orderline::domain
