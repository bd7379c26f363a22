// The product (catalogue and stock) and customer aggregates through the public domain
// interface: every validation rule, every move, and stock reservations with their time-to-live.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "domain/aggregate.h"
#include "domain/money.h"

namespace orderline::domain {
namespace {

constexpr std::int64_t kNow = 5'000'000;
constexpr std::int64_t kMaxStock = 1'000'000'000;

v1::Command product_command(const std::string& sku = "SKU-1") {
  v1::Command c;
  c.set_stream_id(product_stream(sku));
  return c;
}

v1::Command create(const std::string& sku = "SKU-1", std::int64_t price = 1000, std::int64_t stock = 10,
                   const std::string& name = "Widget", const std::string& currency = "EUR") {
  auto c = product_command(sku);
  auto* body = c.mutable_create_product();
  body->set_sku(sku);
  body->set_name(name);
  *body->mutable_price() = make_money(price, currency);
  body->set_stock(stock);
  return c;
}

v1::Command change_price(std::int64_t amount, const std::string& currency = "EUR") {
  auto c = product_command();
  c.mutable_change_price()->set_sku("SKU-1");
  *c.mutable_change_price()->mutable_price() = make_money(amount, currency);
  return c;
}

v1::Command restock(std::int64_t quantity) {
  auto c = product_command();
  c.mutable_restock()->set_sku("SKU-1");
  c.mutable_restock()->set_quantity(quantity);
  return c;
}

v1::Command discontinue(const std::string& reason = "end of line") {
  auto c = product_command();
  c.mutable_discontinue()->set_sku("SKU-1");
  c.mutable_discontinue()->set_reason(reason);
  return c;
}

v1::Command reserve(const std::string& order_id, std::int64_t quantity, std::int64_t ttl_us = 0) {
  auto c = product_command();
  auto* body = c.mutable_reserve_stock();
  body->set_sku("SKU-1");
  body->set_order_id(order_id);
  body->set_quantity(quantity);
  body->set_ttl_us(ttl_us);
  return c;
}

v1::Command release(const std::string& order_id, const std::string& reason = "order cancelled") {
  auto c = product_command();
  auto* body = c.mutable_release_stock();
  body->set_sku("SKU-1");
  body->set_order_id(order_id);
  body->set_reason(reason);
  return c;
}

DecideContext at(std::int64_t now_us) {
  DecideContext ctx;
  ctx.now_us = now_us;
  return ctx;
}

// Decides at a given time and, when accepted, folds the events in.
Decision run(AggregateState& s, const v1::Command& c, std::int64_t now_us = kNow) {
  auto d = decide(s, c, at(now_us));
  if (!d.rejection) {
    for (const auto& e : d.events) evolve(s, e);
  }
  return d;
}

const ProductState& product(const AggregateState& s) { return std::get<ProductState>(s); }

// A product with 10 on hand, priced 10.00 EUR.
AggregateState created(std::int64_t stock = 10) {
  auto s = initial_state(product_stream("SKU-1"));
  auto d = run(s, create("SKU-1", 1000, stock));
  EXPECT_FALSE(d.rejection) << d.rejection->detail;
  return s;
}

void expect_rejected(const Decision& d, const std::string& code, const std::string& field = "") {
  ASSERT_TRUE(d.rejection) << "expected " << code;
  EXPECT_EQ(d.rejection->code, code) << d.rejection->detail;
  EXPECT_EQ(d.rejection->field, field) << d.rejection->detail;
  EXPECT_FALSE(d.rejection->detail.empty());
  EXPECT_TRUE(d.events.empty());
}

void expect_no_op(const Decision& d) {
  EXPECT_FALSE(d.rejection) << d.rejection->detail;
  EXPECT_TRUE(d.events.empty());
}

// ---- create_product -----------------------------------------------------------------------

TEST(ProductTest, CreateRecordsTheProduct) {
  auto s = initial_state(product_stream("SKU-1"));
  auto d = run(s, create("SKU-1", 1999, 7, "Widget"));
  ASSERT_FALSE(d.rejection);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "ProductCreated");
  const auto& e = d.events[0].product_created();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.name(), "Widget");
  EXPECT_TRUE(e.price() == make_money(1999, "EUR"));
  EXPECT_EQ(e.stock(), 7);
  const auto& p = product(s);
  EXPECT_EQ(p.version, 1u);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.on_hand, 7);
  EXPECT_EQ(p.name, "Widget");
  EXPECT_TRUE(p.price == make_money(1999, "EUR"));
  EXPECT_EQ(status_of(s), "active");
}

TEST(ProductTest, CreateTwiceIsAlreadyExists) {
  auto s = created();
  expect_rejected(decide(s, create(), at(kNow)), "already_exists", "sku");
}

TEST(ProductTest, SkuRules) {
  const std::string longest(64, 'a');
  for (const std::string& sku : {std::string("A-z_0.9"), longest}) {
    auto s = initial_state(product_stream(sku));
    EXPECT_FALSE(decide(s, create(sku), at(kNow)).rejection) << sku;
  }
  for (const std::string& sku : {std::string(""), longest + "a", std::string("a b"), std::string("a/b"),
                                 std::string("é"), std::string("a?b")}) {
    auto s = initial_state(product_stream(sku));
    expect_rejected(decide(s, create(sku), at(kNow)), "validation_failed", "sku");
  }
}

TEST(ProductTest, SkuMustNameTheStream) {
  auto s = initial_state(product_stream("SKU-2"));
  expect_rejected(decide(s, create("SKU-1"), at(kNow)), "validation_failed", "sku");
}

TEST(ProductTest, NameRules) {
  auto s = initial_state(product_stream("SKU-1"));
  EXPECT_FALSE(decide(s, create("SKU-1", 1, 0, std::string(200, 'n')), at(kNow)).rejection);
  expect_rejected(decide(s, create("SKU-1", 1, 0, ""), at(kNow)), "validation_failed", "name");
  expect_rejected(decide(s, create("SKU-1", 1, 0, std::string(201, 'n')), at(kNow)), "validation_failed", "name");
}

TEST(ProductTest, PriceRules) {
  auto s = initial_state(product_stream("SKU-1"));
  EXPECT_FALSE(decide(s, create("SKU-1", 1), at(kNow)).rejection);
  EXPECT_FALSE(decide(s, create("SKU-1", kMaxAmountMinor), at(kNow)).rejection);
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}, kMaxAmountMinor + 1}) {
    expect_rejected(decide(s, create("SKU-1", bad), at(kNow)), "validation_failed", "price.amount_minor");
  }
  for (const char* currency : {"", "XXX", "usd"}) {
    expect_rejected(decide(s, create("SKU-1", 100, 1, "Widget", currency), at(kNow)), "validation_failed",
                    "price.currency");
  }
}

TEST(ProductTest, StockRules) {
  auto s = initial_state(product_stream("SKU-1"));
  EXPECT_FALSE(decide(s, create("SKU-1", 1, 0), at(kNow)).rejection);
  EXPECT_FALSE(decide(s, create("SKU-1", 1, kMaxStock), at(kNow)).rejection);
  expect_rejected(decide(s, create("SKU-1", 1, -1), at(kNow)), "validation_failed", "stock");
  expect_rejected(decide(s, create("SKU-1", 1, kMaxStock + 1), at(kNow)), "validation_failed", "stock");
}

TEST(ProductTest, EverythingButCreateNeedsAnExistingProduct) {
  auto s = initial_state(product_stream("SKU-1"));
  for (const auto& c : {change_price(500), restock(1), discontinue(), reserve("o1", 1), release("o1")}) {
    expect_rejected(decide(s, c, at(kNow)), "not_found");
  }
}

TEST(ProductTest, CommandsNamingAnotherSkuAreRefused) {
  auto s = created();
  auto c = restock(1);
  c.mutable_restock()->set_sku("SKU-2");
  expect_rejected(decide(s, c, at(kNow)), "validation_failed", "sku");
  c.mutable_restock()->clear_sku();  // empty: the stream's SKU
  EXPECT_FALSE(decide(s, c, at(kNow)).rejection);
}

// ---- change_price -------------------------------------------------------------------------

TEST(ProductTest, ChangePriceRecordsFromAndTo) {
  auto s = created();
  auto d = run(s, change_price(1250));
  ASSERT_FALSE(d.rejection);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "ProductPriceChanged");
  const auto& e = d.events[0].product_price_changed();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_TRUE(e.from() == make_money(1000, "EUR"));
  EXPECT_TRUE(e.to() == make_money(1250, "EUR"));
  EXPECT_TRUE(product(s).price == make_money(1250, "EUR"));
}

TEST(ProductTest, ChangingToTheSamePriceIsANoOp) {
  auto s = created();
  expect_no_op(decide(s, change_price(1000), at(kNow)));
}

TEST(ProductTest, ChangePriceValidatesThePrice) {
  auto s = created();
  expect_rejected(decide(s, change_price(0), at(kNow)), "validation_failed", "price.amount_minor");
  expect_rejected(decide(s, change_price(kMaxAmountMinor + 1), at(kNow)), "validation_failed", "price.amount_minor");
  expect_rejected(decide(s, change_price(100, "XXX"), at(kNow)), "validation_failed", "price.currency");
  expect_rejected(decide(s, change_price(100, "USD"), at(kNow)), "currency_mismatch", "price.currency");
}

// ---- restock ------------------------------------------------------------------------------

TEST(ProductTest, RestockAddsToStockOnHand) {
  auto s = created(10);
  auto d = run(s, restock(5));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(event_type(d.events[0]), "ProductRestocked");
  EXPECT_EQ(d.events[0].product_restocked().sku(), "SKU-1");
  EXPECT_EQ(d.events[0].product_restocked().quantity(), 5);
  EXPECT_EQ(d.events[0].product_restocked().on_hand_after(), 15);
  EXPECT_EQ(product(s).on_hand, 15);
}

TEST(ProductTest, RestockQuantityRules) {
  auto s = created();
  EXPECT_FALSE(decide(s, restock(1), at(kNow)).rejection);
  EXPECT_FALSE(decide(s, restock(kMaxStock), at(kNow)).rejection);
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-3}, kMaxStock + 1}) {
    expect_rejected(decide(s, restock(bad), at(kNow)), "validation_failed", "quantity");
  }
}

// ---- discontinue --------------------------------------------------------------------------

TEST(ProductTest, DiscontinueMovesActiveToDiscontinued) {
  auto s = created();
  auto d = run(s, discontinue("recalled"));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(event_type(d.events[0]), "ProductDiscontinued");
  const auto& e = d.events[0].product_discontinued();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.reason(), "recalled");
  ASSERT_EQ(e.transitions_size(), 1);
  EXPECT_EQ(e.transitions(0).machine(), "product");
  EXPECT_EQ(e.transitions(0).from(), "active");
  EXPECT_EQ(e.transitions(0).to(), "discontinued");
  EXPECT_FALSE(product(s).active);
  EXPECT_EQ(status_of(s), "discontinued");
  EXPECT_EQ(version_of(s), 2u);
}

TEST(ProductTest, DiscontinuingTwiceIsAnInvalidTransition) {
  auto s = created();
  run(s, discontinue());
  expect_rejected(decide(s, discontinue(), at(kNow)), "invalid_transition");
}

// ---- reservations -------------------------------------------------------------------------

TEST(ProductTest, ReserveHoldsStockWithATimeToLive) {
  auto s = created(10);
  auto d = run(s, reserve("o1", 4, 1'000));
  ASSERT_FALSE(d.rejection);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "StockReserved");
  const auto& e = d.events[0].stock_reserved();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.order_id(), "o1");
  EXPECT_EQ(e.quantity(), 4);
  EXPECT_EQ(e.expires_at_us(), kNow + 1'000);
  const auto& p = product(s);
  ASSERT_EQ(p.reservations.size(), 1u);
  EXPECT_EQ(p.reservations[0].order_id, "o1");
  EXPECT_EQ(p.reservations[0].quantity, 4);
  EXPECT_EQ(p.reservations[0].expires_at_us, kNow + 1'000);
  EXPECT_EQ(p.on_hand, 10) << "a reservation holds stock, it does not take it";
}

TEST(ProductTest, ZeroTtlNeverExpires) {
  auto s = created(10);
  auto d = run(s, reserve("o1", 10, 0));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(d.events[0].stock_reserved().expires_at_us(), 0);
  // Much later, the hold still counts.
  d = run(s, reserve("o2", 1), kNow * 1000);
  ASSERT_TRUE(d.events[0].has_stock_rejected());
}

TEST(ProductTest, ReservationsReduceAvailability) {
  auto s = created(10);
  run(s, reserve("o1", 6));
  auto d = run(s, reserve("o2", 5));
  ASSERT_FALSE(d.rejection) << "running out is an event, not a rejection";
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "StockRejected");
  const auto& e = d.events[0].stock_rejected();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.order_id(), "o2");
  EXPECT_EQ(e.requested(), 5);
  EXPECT_EQ(e.available(), 4);
  EXPECT_EQ(product(s).reservations.size(), 1u);

  d = run(s, reserve("o2", 4));
  ASSERT_TRUE(d.events[0].has_stock_reserved()) << "exactly what is left can be reserved";
  d = run(s, reserve("o3", 1));
  ASSERT_TRUE(d.events[0].has_stock_rejected());
  EXPECT_EQ(d.events[0].stock_rejected().available(), 0);
}

TEST(ProductTest, ExpiredReservationsNoLongerHoldStock) {
  auto s = created(10);
  run(s, reserve("o1", 10, 100));
  auto d = run(s, reserve("o2", 1), kNow + 99);
  ASSERT_TRUE(d.events[0].has_stock_rejected());
  d = run(s, reserve("o2", 10), kNow + 100);  // expires_at is exclusive
  ASSERT_TRUE(d.events[0].has_stock_reserved());
}

TEST(ProductTest, ReservingAgainForTheSameOrderIsANoOp) {
  auto s = created(10);
  run(s, reserve("o1", 3));
  expect_no_op(decide(s, reserve("o1", 3), at(kNow)));
  expect_no_op(decide(s, reserve("o1", 7), at(kNow)));
}

TEST(ProductTest, AnExpiredReservationCanBeRenewed) {
  auto s = created(10);
  run(s, reserve("o1", 3, 10));
  auto d = run(s, reserve("o1", 5, 10), kNow + 50);
  ASSERT_FALSE(d.rejection);
  ASSERT_TRUE(d.events[0].has_stock_reserved());
  ASSERT_EQ(product(s).reservations.size(), 1u) << "the new hold replaces the expired one";
  EXPECT_EQ(product(s).reservations[0].quantity, 5);
  EXPECT_EQ(product(s).reservations[0].expires_at_us, kNow + 60);
}

TEST(ProductTest, DiscontinuedProductsRejectReservations) {
  auto s = created(10);
  run(s, discontinue());
  auto d = run(s, reserve("o1", 1));
  ASSERT_FALSE(d.rejection);
  ASSERT_TRUE(d.events[0].has_stock_rejected());
  EXPECT_EQ(d.events[0].stock_rejected().available(), 0);
}

TEST(ProductTest, RestockMakesRoomForReservations) {
  auto s = created(1);
  run(s, reserve("o1", 1));
  run(s, restock(2));
  auto d = run(s, reserve("o2", 2));
  EXPECT_TRUE(d.events[0].has_stock_reserved());
}

TEST(ProductTest, ReserveValidation) {
  auto s = created(10);
  expect_rejected(decide(s, reserve("o1", 0), at(kNow)), "validation_failed", "quantity");
  expect_rejected(decide(s, reserve("o1", -1), at(kNow)), "validation_failed", "quantity");
  expect_rejected(decide(s, reserve("", 1), at(kNow)), "validation_failed", "order_id");
  expect_rejected(decide(s, reserve("o1", 1, -5), at(kNow)), "validation_failed", "ttl_us");
  expect_rejected(decide(s, reserve("o1", 1, std::numeric_limits<std::int64_t>::max()), at(kNow)),
                  "validation_failed", "ttl_us");
}

TEST(ProductTest, ReleaseGivesTheHoldBack) {
  auto s = created(10);
  run(s, reserve("o1", 10));
  auto d = run(s, release("o1", "payment failed"));
  ASSERT_FALSE(d.rejection);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "StockReleased");
  const auto& e = d.events[0].stock_released();
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.order_id(), "o1");
  EXPECT_EQ(e.quantity(), 10);
  EXPECT_EQ(e.reason(), "payment failed");
  EXPECT_TRUE(product(s).reservations.empty());
  EXPECT_TRUE(run(s, reserve("o2", 10)).events[0].has_stock_reserved());
}

TEST(ProductTest, ReleasingWhatIsNotHeldIsANoOp) {
  auto s = created(10);
  expect_no_op(decide(s, release("o1"), at(kNow)));
  run(s, reserve("o1", 2));
  run(s, release("o1"));
  expect_no_op(decide(s, release("o1"), at(kNow)));
  expect_rejected(decide(s, release(""), at(kNow)), "validation_failed", "order_id");
}

// ---- customers ----------------------------------------------------------------------------

v1::Command register_customer(const std::string& id = "c1", const std::string& email = "ada@example.com",
                              const std::string& name = "Ada") {
  v1::Command c;
  c.set_stream_id(customer_stream(id));
  auto* body = c.mutable_register_customer();
  body->set_customer_id(id);
  body->set_email(email);
  body->set_name(name);
  return c;
}

TEST(CustomerTest, RegisterRecordsTheCustomer) {
  auto s = initial_state(customer_stream("c1"));
  auto d = run(s, register_customer());
  ASSERT_FALSE(d.rejection);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(event_type(d.events[0]), "CustomerRegistered");
  const auto& e = d.events[0].customer_registered();
  EXPECT_EQ(e.customer_id(), "c1");
  EXPECT_EQ(e.email(), "ada@example.com");
  EXPECT_EQ(e.name(), "Ada");
  const auto& c = std::get<CustomerState>(s);
  EXPECT_EQ(c.email, "ada@example.com");
  EXPECT_EQ(c.name, "Ada");
  EXPECT_EQ(version_of(s), 1u);
  EXPECT_EQ(status_of(s), "registered");
}

TEST(CustomerTest, RegisteringTwiceIsAlreadyExists) {
  auto s = initial_state(customer_stream("c1"));
  run(s, register_customer());
  expect_rejected(decide(s, register_customer(), at(kNow)), "already_exists", "customer_id");
}

TEST(CustomerTest, NeedsAnIdThatNamesTheStream) {
  auto s = initial_state(customer_stream("c1"));
  auto empty = register_customer("");
  expect_rejected(decide(s, empty, at(kNow)), "validation_failed", "customer_id");
  expect_rejected(decide(s, register_customer("c2"), at(kNow)), "validation_failed", "customer_id");
}

TEST(CustomerTest, EmailRules) {
  auto s = initial_state(customer_stream("c1"));
  const std::string domain = "@example.com";
  const std::string longest = std::string(254 - domain.size(), 'a') + domain;
  for (const std::string& ok : {std::string("a@b.c"), std::string("first.last+tag@mail.example.org"), longest}) {
    EXPECT_FALSE(decide(s, register_customer("c1", ok), at(kNow)).rejection) << ok;
  }
  for (const std::string& bad : {std::string(""), std::string("ada"), std::string("@example.com"),
                                 std::string("ada@"), std::string("ada@example"), std::string("a@b@example.com"),
                                 "a" + longest}) {
    expect_rejected(decide(s, register_customer("c1", bad), at(kNow)), "validation_failed", "email");
  }
}

TEST(CustomerTest, NameRules) {
  auto s = initial_state(customer_stream("c1"));
  EXPECT_FALSE(decide(s, register_customer("c1", "a@b.c", std::string(200, 'n')), at(kNow)).rejection);
  expect_rejected(decide(s, register_customer("c1", "a@b.c", ""), at(kNow)), "validation_failed", "name");
  expect_rejected(decide(s, register_customer("c1", "a@b.c", std::string(201, 'n')), at(kNow)), "validation_failed",
                  "name");
}

}  // namespace
}  // namespace orderline::domain
