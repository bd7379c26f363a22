// The order aggregate through the public domain interface: every (state, command) pair of
// the three state machines, every placement rule, and the stream-level plumbing
// (initial_state, dispatch, version, event type names).
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "domain/aggregate.h"
#include "domain/money.h"

namespace orderline::domain {
namespace {

// ---- fakes and builders -------------------------------------------------------------------

// The catalogue read model, as the command processor would consult it.
class FakeCatalogue {
 public:
  void add(const std::string& sku, std::int64_t price, const std::string& currency = "EUR", bool active = true) {
    ProductSnapshot s;
    s.sku = sku;
    s.name = "Product " + sku;
    s.price = make_money(price, currency);
    s.active = active;
    products_[sku] = s;
  }
  std::optional<ProductSnapshot> find(std::string_view sku) const {
    if (auto it = products_.find(std::string(sku)); it != products_.end()) return it->second;
    // "BULK-n" stands for any number of distinct products, for the line limit.
    if (sku.starts_with("BULK-")) {
      ProductSnapshot s;
      s.sku = sku;
      s.name = "Bulk";
      s.price = make_money(1, "EUR");
      s.active = true;
      return s;
    }
    return std::nullopt;
  }

 private:
  std::map<std::string, ProductSnapshot> products_;
};

enum class Action { place, pay, ship, deliver, cancel, request_return, receive_return };

const char* name_of(Action a) {
  switch (a) {
    case Action::place: return "place";
    case Action::pay: return "pay";
    case Action::ship: return "ship";
    case Action::deliver: return "deliver";
    case Action::cancel: return "cancel";
    case Action::request_return: return "request_return";
    case Action::receive_return: return "receive_return";
  }
  return "?";
}

v1::Command place_command(const std::string& order_id, std::vector<std::pair<std::string, int>> lines = {{"SKU-1", 2}},
                          const std::string& customer_id = "cust-1", const std::string& currency = "EUR") {
  v1::Command c;
  c.set_command_id("place-" + order_id);
  c.set_stream_id(order_stream(order_id));
  c.set_expected_version(-1);
  auto* body = c.mutable_place_order();
  body->set_order_id(order_id);
  body->set_customer_id(customer_id);
  body->set_currency(currency);
  for (const auto& [sku, quantity] : lines) {
    auto* line = body->add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
  }
  return c;
}

v1::Command action_command(Action a, const std::string& order_id = "o1", const std::string& return_id = "r1",
                           const std::string& reason = "because") {
  if (a == Action::place) return place_command(order_id);
  v1::Command c;
  c.set_command_id(std::string(name_of(a)) + "-" + order_id);
  c.set_stream_id(order_stream(order_id));
  v1::OrderAction body;
  body.set_order_id(order_id);
  body.set_reason(reason);
  body.set_return_id(return_id);
  switch (a) {
    case Action::pay: *c.mutable_pay_order() = body; break;
    case Action::ship: *c.mutable_ship_order() = body; break;
    case Action::deliver: *c.mutable_deliver_order() = body; break;
    case Action::cancel: *c.mutable_cancel_order() = body; break;
    case Action::request_return: *c.mutable_request_return() = body; break;
    case Action::receive_return: *c.mutable_receive_return() = body; break;
    case Action::place: break;
  }
  return c;
}

// A move that no command makes yet (the saga's), fed straight to evolve.
v1::EventPayload saga_move(bool expire, std::vector<v1::Transition> transitions) {
  v1::EventPayload e;
  auto* m = expire ? e.mutable_order_expired() : e.mutable_order_confirmed();
  m->set_order_id("o1");
  for (auto& t : transitions) *m->add_transitions() = t;
  return e;
}

v1::Transition tr(const std::string& machine, const std::string& from, const std::string& to) {
  v1::Transition t;
  t.set_machine(machine);
  t.set_from(from);
  t.set_to(to);
  return t;
}

const OrderState& order(const AggregateState& s) { return std::get<OrderState>(s); }

class OrderTest : public ::testing::Test {
 protected:
  OrderTest() {
    catalogue_.add("SKU-1", 1000);
    catalogue_.add("SKU-2", 250);
    catalogue_.add("USD-1", 500, "USD");
    catalogue_.add("OLD-1", 100, "EUR", false);
    catalogue_.add("HUGE-1", kMaxAmountMinor);
  }

  DecideContext ctx() const {
    DecideContext c;
    c.now_us = 1'000'000;
    c.catalogue = [this](std::string_view sku) { return catalogue_.find(sku); };
    c.customer_exists = [this](std::string_view id) { return customers_.contains(std::string(id)); };
    return c;
  }

  // Decides and, when accepted, folds the events in.
  Decision run(AggregateState& s, const v1::Command& c) const {
    auto d = decide(s, c, ctx());
    if (!d.rejection) {
      for (const auto& e : d.events) evolve(s, e);
    }
    return d;
  }

  AggregateState run_all(const std::vector<Action>& path) const {
    auto s = initial_state(order_stream("o1"));
    for (auto a : path) {
      auto d = run(s, action_command(a));
      EXPECT_FALSE(d.rejection) << name_of(a) << ": " << d.rejection->detail;
    }
    return s;
  }

  // Builds an order in the named state: through commands where a command leads there,
  // through the saga's events where none does yet.
  AggregateState in_state(const std::string& name) const {
    using A = Action;
    if (name == "new") return initial_state(order_stream("o1"));
    if (name == "placed") return run_all({A::place});
    if (name == "placed_requires_action") {
      auto s = run_all({A::place});
      evolve(s, saga_move(false, {tr("payment", status::not_paid, status::requires_action)}));
      return s;
    }
    if (name == "confirmed_authorized") {
      auto s = run_all({A::place});
      evolve(s, saga_move(false, {tr("order", status::placed, status::confirmed),
                                  tr("payment", status::not_paid, status::authorized)}));
      return s;
    }
    if (name == "confirmed") return run_all({A::place, A::pay});
    if (name == "shipped") return run_all({A::place, A::pay, A::ship});
    if (name == "completed") return run_all({A::place, A::pay, A::ship, A::deliver});
    if (name == "cancelled") return run_all({A::place, A::cancel});
    if (name == "cancelled_refunded") return run_all({A::place, A::pay, A::cancel});
    if (name == "expired") {
      auto s = run_all({A::place});
      evolve(s, saga_move(true, {tr("order", status::placed, status::expired)}));
      return s;
    }
    if (name == "return_requested") return run_all({A::place, A::pay, A::ship, A::deliver, A::request_return});
    if (name == "returned") {
      return run_all({A::place, A::pay, A::ship, A::deliver, A::request_return, A::receive_return});
    }
    ADD_FAILURE() << "no such state " << name;
    return initial_state(order_stream("o1"));
  }

  FakeCatalogue catalogue_;
  std::set<std::string> customers_{"cust-1"};
};

struct Statuses {
  std::string order, payment, fulfillment;
  bool operator==(const Statuses&) const = default;
};

Statuses statuses_of(const AggregateState& s) {
  const auto& o = order(s);
  return {o.status, o.payment_status, o.fulfillment_status};
}

std::ostream& operator<<(std::ostream& os, const Statuses& s) {
  return os << "(" << s.order << ", " << s.payment << ", " << s.fulfillment << ")";
}

// ---- the transition table -----------------------------------------------------------------

struct Case {
  std::string state;
  Action action;
  std::string code;  // "" when accepted
  Statuses after;    // when accepted
  std::string event_type;
};

Case ok(std::string state, Action a, Statuses after, std::string type) {
  return {std::move(state), a, "", std::move(after), std::move(type)};
}
Case no(std::string state, Action a, std::string code) { return {std::move(state), a, std::move(code), {}, ""}; }

// Readable failures instead of gtest's byte dump.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.state << " + " << name_of(c.action) << " -> " << (c.code.empty() ? "accepted" : c.code);
}

// Every order command against every state an order can be in. States where everything but
// place is forbidden are listed in full on purpose: a new rule must show up here.
std::vector<Case> all_cases() {
  using A = Action;
  const std::string inv = "invalid_transition";
  const std::string ae = "already_exists";
  std::vector<Case> cases = {
      ok("new", A::place, {"placed", "not_paid", "unfulfilled"}, "OrderPlaced"),
      no("new", A::pay, "not_found"),
      no("new", A::ship, "not_found"),
      no("new", A::deliver, "not_found"),
      no("new", A::cancel, "not_found"),
      no("new", A::request_return, "not_found"),
      no("new", A::receive_return, "not_found"),

      no("placed", A::place, ae),
      ok("placed", A::pay, {"confirmed", "captured", "unfulfilled"}, "OrderPaid"),
      no("placed", A::ship, inv),
      no("placed", A::deliver, inv),
      ok("placed", A::cancel, {"cancelled", "not_paid", "unfulfilled"}, "OrderCancelled"),
      no("placed", A::request_return, inv),
      no("placed", A::receive_return, inv),

      no("placed_requires_action", A::place, ae),
      ok("placed_requires_action", A::pay, {"confirmed", "captured", "unfulfilled"}, "OrderPaid"),
      no("placed_requires_action", A::ship, inv),
      no("placed_requires_action", A::deliver, inv),
      ok("placed_requires_action", A::cancel, {"cancelled", "voided", "unfulfilled"}, "OrderCancelled"),
      no("placed_requires_action", A::request_return, inv),
      no("placed_requires_action", A::receive_return, inv),

      no("confirmed_authorized", A::place, ae),
      no("confirmed_authorized", A::pay, inv),
      ok("confirmed_authorized", A::ship, {"confirmed", "captured", "shipped"}, "OrderShipped"),
      no("confirmed_authorized", A::deliver, inv),
      ok("confirmed_authorized", A::cancel, {"cancelled", "voided", "unfulfilled"}, "OrderCancelled"),
      no("confirmed_authorized", A::request_return, inv),
      no("confirmed_authorized", A::receive_return, inv),

      no("confirmed", A::place, ae),
      no("confirmed", A::pay, inv),
      ok("confirmed", A::ship, {"confirmed", "captured", "shipped"}, "OrderShipped"),
      no("confirmed", A::deliver, inv),
      ok("confirmed", A::cancel, {"cancelled", "refunded", "unfulfilled"}, "OrderCancelled"),
      no("confirmed", A::request_return, inv),
      no("confirmed", A::receive_return, inv),

      no("shipped", A::place, ae),
      no("shipped", A::pay, inv),
      no("shipped", A::ship, inv),
      ok("shipped", A::deliver, {"completed", "captured", "delivered"}, "OrderDelivered"),
      no("shipped", A::cancel, inv),
      no("shipped", A::request_return, inv),
      no("shipped", A::receive_return, inv),

      no("completed", A::place, ae),
      no("completed", A::pay, inv),
      no("completed", A::ship, inv),
      no("completed", A::deliver, inv),
      no("completed", A::cancel, inv),
      ok("completed", A::request_return, {"return_requested", "captured", "delivered"}, "OrderReturnRequested"),
      no("completed", A::receive_return, inv),

      no("return_requested", A::place, ae),
      no("return_requested", A::pay, inv),
      no("return_requested", A::ship, inv),
      no("return_requested", A::deliver, inv),
      no("return_requested", A::cancel, inv),
      no("return_requested", A::request_return, inv),
      ok("return_requested", A::receive_return, {"returned", "refunded", "delivered"}, "OrderReturned"),
  };
  // Terminal states: nothing moves them.
  for (const char* terminal : {"cancelled", "cancelled_refunded", "expired", "returned"}) {
    cases.push_back(no(terminal, A::place, ae));
    for (auto a : {A::pay, A::ship, A::deliver, A::cancel, A::request_return, A::receive_return}) {
      cases.push_back(no(terminal, a, inv));
    }
  }
  return cases;
}

class OrderTransitionTest : public OrderTest, public ::testing::WithParamInterface<Case> {};

// A transition's "from" is where that machine was; machines it does not name stay put.
void expect_transitions_consistent(const Statuses& before, const Statuses& after, const v1::EventPayload& e) {
  const google::protobuf::RepeatedPtrField<v1::Transition>* transitions = nullptr;
  if (e.has_order_placed()) transitions = &e.order_placed().transitions();
  for (const v1::OrderMoved* m : {&e.order_paid(), &e.order_shipped(), &e.order_delivered(), &e.order_cancelled(),
                                  &e.order_return_requested(), &e.order_returned()}) {
    if (m->transitions_size() > 0) transitions = &m->transitions();
  }
  ASSERT_NE(transitions, nullptr);
  std::map<std::string, std::pair<std::string, std::string>> by_machine = {
      {"order", {before.order, after.order}},
      {"payment", {before.payment, after.payment}},
      {"fulfillment", {before.fulfillment, after.fulfillment}}};
  std::set<std::string> moved;
  for (const auto& t : *transitions) {
    ASSERT_TRUE(by_machine.contains(t.machine())) << t.machine();
    EXPECT_EQ(t.from(), by_machine[t.machine()].first) << t.machine();
    EXPECT_EQ(t.to(), by_machine[t.machine()].second) << t.machine();
    EXPECT_NE(t.from(), t.to()) << t.machine();
    EXPECT_TRUE(moved.insert(t.machine()).second) << "machine moved twice: " << t.machine();
  }
  for (const auto& [machine, from_to] : by_machine) {
    if (!moved.contains(machine)) {
      EXPECT_EQ(from_to.first, from_to.second) << machine << " moved silently";
    }
  }
}

TEST_P(OrderTransitionTest, AcceptsOrRejects) {
  const auto& c = GetParam();
  auto s = in_state(c.state);
  const auto before = statuses_of(s);
  const auto version = version_of(s);
  auto d = run(s, action_command(c.action));
  if (c.code.empty()) {
    ASSERT_FALSE(d.rejection) << d.rejection->detail;
    ASSERT_EQ(d.events.size(), 1u);
    EXPECT_EQ(event_type(d.events[0]), c.event_type);
    EXPECT_EQ(statuses_of(s), c.after);
    EXPECT_EQ(status_of(s), c.after.order);
    EXPECT_EQ(version_of(s), version + 1);
    expect_transitions_consistent(before, c.after, d.events[0]);
  } else {
    ASSERT_TRUE(d.rejection);
    EXPECT_EQ(d.rejection->code, c.code) << d.rejection->detail;
    EXPECT_FALSE(d.rejection->detail.empty());
    EXPECT_TRUE(d.events.empty());
    EXPECT_EQ(statuses_of(s), before);
    EXPECT_EQ(version_of(s), version);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStatesAllCommands, OrderTransitionTest, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.state + "_" + name_of(info.param.action);
                         });

TEST(OrderTransitionTable, CoversEveryStateWithEveryCommand) {
  std::map<std::string, std::set<Action>> seen;
  for (const auto& c : all_cases()) {
    EXPECT_TRUE(seen[c.state].insert(c.action).second) << "duplicate " << c.state << " " << name_of(c.action);
  }
  EXPECT_EQ(seen.size(), 12u);
  for (const auto& [state, actions] : seen) EXPECT_EQ(actions.size(), 7u) << state;
}

// ---- what the events carry ----------------------------------------------------------------

TEST_F(OrderTest, PlacementCapturesPricesNamesAndTotal) {
  auto s = initial_state(order_stream("o1"));
  auto d = run(s, place_command("o1", {{"SKU-1", 2}, {"SKU-2", 3}}));
  ASSERT_FALSE(d.rejection) << d.rejection->detail;
  ASSERT_EQ(d.events.size(), 1u);
  ASSERT_TRUE(d.events[0].has_order_placed());
  const auto& placed = d.events[0].order_placed();
  EXPECT_EQ(placed.order_id(), "o1");
  EXPECT_EQ(placed.customer_id(), "cust-1");
  EXPECT_EQ(placed.currency(), "EUR");
  ASSERT_EQ(placed.lines_size(), 2);
  EXPECT_EQ(placed.lines(0).sku(), "SKU-1");
  EXPECT_EQ(placed.lines(0).quantity(), 2);
  EXPECT_TRUE(placed.lines(0).unit_price() == make_money(1000, "EUR"));
  EXPECT_EQ(placed.lines(0).name(), "Product SKU-1");
  EXPECT_EQ(placed.lines(1).sku(), "SKU-2");
  EXPECT_TRUE(placed.lines(1).unit_price() == make_money(250, "EUR"));
  EXPECT_TRUE(placed.total() == make_money(2750, "EUR"));
  ASSERT_EQ(placed.transitions_size(), 3);
  EXPECT_EQ(placed.transitions(0).machine(), "order");
  EXPECT_EQ(placed.transitions(0).from(), "");
  EXPECT_EQ(placed.transitions(0).to(), "placed");
  EXPECT_EQ(placed.transitions(1).machine(), "payment");
  EXPECT_EQ(placed.transitions(1).to(), "not_paid");
  EXPECT_EQ(placed.transitions(2).machine(), "fulfillment");
  EXPECT_EQ(placed.transitions(2).to(), "unfulfilled");

  const auto& o = order(s);
  EXPECT_EQ(o.version, 1u);
  EXPECT_EQ(o.customer_id, "cust-1");
  EXPECT_EQ(o.currency, "EUR");
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[1].quantity(), 3);
  EXPECT_TRUE(o.total == make_money(2750, "EUR"));
}

TEST_F(OrderTest, PayCapturesTheTotalAndKeepsTheReason) {
  auto s = run_all({Action::place});
  auto d = run(s, action_command(Action::pay, "o1", "", "card ok"));
  ASSERT_FALSE(d.rejection);
  const auto& paid = d.events[0].order_paid();
  EXPECT_EQ(paid.order_id(), "o1");
  EXPECT_EQ(paid.reason(), "card ok");
  EXPECT_TRUE(paid.amount() == make_money(2000, "EUR"));
  ASSERT_EQ(paid.transitions_size(), 2);
}

TEST_F(OrderTest, ShipCapturesOnlyAnAuthorisedPayment) {
  auto authorised = in_state("confirmed_authorized");
  auto d = run(authorised, action_command(Action::ship));
  ASSERT_FALSE(d.rejection);
  EXPECT_TRUE(d.events[0].order_shipped().amount() == make_money(2000, "EUR"));
  EXPECT_EQ(d.events[0].order_shipped().transitions_size(), 2);

  auto paid = in_state("confirmed");
  d = run(paid, action_command(Action::ship));
  ASSERT_FALSE(d.rejection);
  EXPECT_FALSE(d.events[0].order_shipped().has_amount());
  ASSERT_EQ(d.events[0].order_shipped().transitions_size(), 1);
  EXPECT_EQ(d.events[0].order_shipped().transitions(0).machine(), "fulfillment");
}

TEST_F(OrderTest, CancelRefundsCapturedMoneyAndMovesNoMoneyOtherwise) {
  auto paid = in_state("confirmed");
  auto d = run(paid, action_command(Action::cancel, "o1", "", "changed my mind"));
  ASSERT_FALSE(d.rejection);
  const auto& refunded = d.events[0].order_cancelled();
  EXPECT_EQ(refunded.reason(), "changed my mind");
  EXPECT_TRUE(refunded.amount() == make_money(2000, "EUR"));

  auto unpaid = in_state("placed");
  d = run(unpaid, action_command(Action::cancel));
  ASSERT_FALSE(d.rejection);
  EXPECT_FALSE(d.events[0].order_cancelled().has_amount());
  ASSERT_EQ(d.events[0].order_cancelled().transitions_size(), 1);

  auto authorised = in_state("confirmed_authorized");
  d = run(authorised, action_command(Action::cancel));
  ASSERT_FALSE(d.rejection);
  EXPECT_FALSE(d.events[0].order_cancelled().has_amount());
}

TEST_F(OrderTest, ReturnsCarryTheReturnIdAndRefund) {
  auto s = in_state("completed");
  auto d = run(s, action_command(Action::request_return, "o1", "ret-7", "too small"));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(d.events[0].order_return_requested().return_id(), "ret-7");
  EXPECT_EQ(d.events[0].order_return_requested().reason(), "too small");
  EXPECT_EQ(order(s).return_id, "ret-7");

  d = run(s, action_command(Action::receive_return, "o1", "ret-7"));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(d.events[0].order_returned().return_id(), "ret-7");
  EXPECT_TRUE(d.events[0].order_returned().amount() == make_money(2000, "EUR"));
  EXPECT_EQ(order(s).payment_status, "refunded");
}

TEST_F(OrderTest, ReceivingAnotherReturnIsNotFound) {
  auto s = in_state("return_requested");
  auto d = run(s, action_command(Action::receive_return, "o1", "r2"));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "not_found");
  EXPECT_EQ(d.rejection->field, "return_id");
}

TEST_F(OrderTest, ReturnsNeedAReturnId) {
  auto completed = in_state("completed");
  auto d = run(completed, action_command(Action::request_return, "o1", ""));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  EXPECT_EQ(d.rejection->field, "return_id");

  auto requested = in_state("return_requested");
  d = run(requested, action_command(Action::receive_return, "o1", ""));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  EXPECT_EQ(d.rejection->field, "return_id");
}

TEST_F(OrderTest, RefusalsSayWhichMachineIsInTheWay) {
  auto cancelled = in_state("cancelled");
  auto d = run(cancelled, action_command(Action::pay));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->detail, "cannot pay an order that is cancelled");

  auto shipped = in_state("shipped");
  d = run(shipped, action_command(Action::cancel));
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->detail, "cannot cancel an order whose fulfillment is shipped");
}

TEST_F(OrderTest, ActionsNamingAnotherOrderAreRefused) {
  auto s = in_state("placed");
  auto c = action_command(Action::pay, "o2");
  c.set_stream_id(order_stream("o1"));
  auto d = run(s, c);
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  EXPECT_EQ(d.rejection->field, "order_id");

  // An empty id means "this stream's order".
  c.mutable_pay_order()->clear_order_id();
  EXPECT_FALSE(run(s, c).rejection);
}

TEST_F(OrderTest, ExpectedVersionIsTheProcessorsBusiness) {
  auto s = initial_state(order_stream("o1"));
  auto c = place_command("o1");
  c.set_expected_version(42);
  EXPECT_FALSE(run(s, c).rejection);
}

TEST_F(OrderTest, SagaEventsAreFoldedIn) {
  auto s = run_all({Action::place});
  evolve(s, saga_move(false, {tr("order", "placed", "confirmed"), tr("payment", "not_paid", "authorized")}));
  EXPECT_EQ(statuses_of(s), (Statuses{"confirmed", "authorized", "unfulfilled"}));
  EXPECT_EQ(version_of(s), 2u);
  auto expired = run_all({Action::place});
  evolve(expired, saga_move(true, {tr("order", "placed", "expired")}));
  EXPECT_EQ(status_of(expired), "expired");
}

// ---- placement rules ----------------------------------------------------------------------

struct PlaceRejection {
  std::string code, field;
};

class PlaceOrderTest : public OrderTest {
 protected:
  PlaceRejection rejected(const v1::Command& c) const {
    auto s = initial_state(order_stream(c.place_order().order_id()));
    auto d = decide(s, c, ctx());
    if (!d.rejection) return {"accepted", ""};
    EXPECT_TRUE(d.events.empty());
    EXPECT_FALSE(d.rejection->detail.empty());
    return {d.rejection->code, d.rejection->field};
  }
  void expect(const v1::Command& c, const std::string& code, const std::string& field) const {
    auto r = rejected(c);
    EXPECT_EQ(r.code, code);
    EXPECT_EQ(r.field, field);
  }
};

TEST_F(PlaceOrderTest, NeedsACustomer) {
  expect(place_command("o1", {{"SKU-1", 1}}, ""), "validation_failed", "customer_id");
  expect(place_command("o1", {{"SKU-1", 1}}, "ghost"), "unknown_customer", "customer_id");
}

TEST_F(PlaceOrderTest, SkipsTheCustomerCheckWithoutACustomerLookup) {
  auto c = ctx();
  c.customer_exists = nullptr;
  auto d = decide(initial_state(order_stream("o1")), place_command("o1", {{"SKU-1", 1}}, "anyone"), c);
  EXPECT_FALSE(d.rejection);
}

TEST_F(PlaceOrderTest, NeedsAKnownCurrency) {
  expect(place_command("o1", {{"SKU-1", 1}}, "cust-1", ""), "validation_failed", "currency");
  expect(place_command("o1", {{"SKU-1", 1}}, "cust-1", "XXX"), "validation_failed", "currency");
  expect(place_command("o1", {{"SKU-1", 1}}, "cust-1", "eur"), "validation_failed", "currency");
}

TEST_F(PlaceOrderTest, NeedsAtLeastOneLine) {
  auto c = place_command("o1", {});
  auto s = initial_state(order_stream("o1"));
  auto d = decide(s, c, ctx());
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  EXPECT_EQ(d.rejection->field, "lines");
  EXPECT_EQ(d.rejection->detail, "an order needs at least one line");
}

TEST_F(PlaceOrderTest, TakesAtMostMaxLines) {
  std::vector<std::pair<std::string, int>> lines;
  for (int i = 0; i < kMaxLines; ++i) lines.emplace_back("BULK-" + std::to_string(i), 1);
  EXPECT_EQ(rejected(place_command("o1", lines)).code, "accepted");
  lines.emplace_back("BULK-last", 1);
  expect(place_command("o1", lines), "validation_failed", "lines");
}

TEST_F(PlaceOrderTest, EveryLineNeedsASku) {
  expect(place_command("o1", {{"SKU-1", 1}, {"", 1}}), "validation_failed", "lines[1].sku");
}

TEST_F(PlaceOrderTest, QuantitiesStayWithinLimits) {
  EXPECT_EQ(rejected(place_command("o1", {{"SKU-1", kMinQuantity}})).code, "accepted");
  EXPECT_EQ(rejected(place_command("o1", {{"SKU-1", kMaxQuantity}})).code, "accepted");
  for (int q : {kMinQuantity - 1, kMaxQuantity + 1, -1, std::numeric_limits<int>::min()}) {
    expect(place_command("o1", {{"SKU-2", 1}, {"SKU-1", q}}), "validation_failed", "lines[1].quantity");
  }
}

TEST_F(PlaceOrderTest, OneLinePerSku) {
  expect(place_command("o1", {{"SKU-1", 1}, {"SKU-2", 1}, {"SKU-1", 2}}), "validation_failed", "lines[2].sku");
}

TEST_F(PlaceOrderTest, SkusMustBeInTheCatalogue) {
  expect(place_command("o1", {{"SKU-1", 1}, {"NOPE", 1}}), "unknown_sku", "lines[1].sku");
}

TEST_F(PlaceOrderTest, WithoutACatalogueNothingCanBePriced) {
  auto c = ctx();
  c.catalogue = nullptr;
  auto d = decide(initial_state(order_stream("o1")), place_command("o1"), c);
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "unknown_sku");
}

TEST_F(PlaceOrderTest, DiscontinuedProductsCannotBeOrdered) {
  expect(place_command("o1", {{"OLD-1", 1}}), "product_inactive", "lines[0].sku");
}

TEST_F(PlaceOrderTest, ProductsMustBePricedInTheOrdersCurrency) {
  expect(place_command("o1", {{"SKU-1", 1}, {"USD-1", 1}}), "currency_mismatch", "currency");
  // The same product is fine in its own currency.
  EXPECT_EQ(rejected(place_command("o1", {{"USD-1", 1}}, "cust-1", "USD")).code, "accepted");
}

TEST_F(PlaceOrderTest, TotalsThatDoNotFitAreRefused) {
  EXPECT_EQ(rejected(place_command("o1", {{"HUGE-1", 1}})).code, "accepted");
  expect(place_command("o1", {{"HUGE-1", 2}}), "validation_failed", "lines");
  expect(place_command("o1", {{"HUGE-1", 1}, {"SKU-1", 1}}), "validation_failed", "lines");
}

TEST_F(PlaceOrderTest, TheOrderIdMustNameTheStream) {
  auto c = place_command("o1");
  c.set_stream_id(order_stream("o2"));
  auto d = decide(initial_state(order_stream("o2")), c, ctx());
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  EXPECT_EQ(d.rejection->field, "order_id");

  // Without an id in the body, the stream names the order.
  c.mutable_place_order()->clear_order_id();
  d = decide(initial_state(order_stream("o2")), c, ctx());
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(d.events[0].order_placed().order_id(), "o2");
}

TEST_F(PlaceOrderTest, ShapeIsCheckedBeforeTheCustomerAndTheCustomerBeforeTheCatalogue) {
  // A malformed line wins over an unknown customer and an unknown SKU.
  expect(place_command("o1", {{"NOPE", 1}, {"SKU-1", 0}}, "ghost"), "validation_failed", "lines[1].quantity");
  // A bad currency wins over an unknown customer.
  expect(place_command("o1", {{"SKU-1", 1}}, "ghost", "XXX"), "validation_failed", "currency");
  // An unknown customer wins over an unknown SKU.
  expect(place_command("o1", {{"NOPE", 1}}, "ghost"), "unknown_customer", "customer_id");
  // Catalogue checks go line by line.
  expect(place_command("o1", {{"OLD-1", 1}, {"NOPE", 1}}), "product_inactive", "lines[0].sku");
}

TEST_F(PlaceOrderTest, PlacingTwiceIsAlreadyExists) {
  auto s = run_all({Action::place});
  auto d = decide(s, place_command("o1"), ctx());
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "already_exists");
}

// ---- streams, dispatch, versions and names ------------------------------------------------

TEST(AggregateTest, StreamNamesCarryTheAggregate) {
  EXPECT_EQ(order_stream("42"), "order-42");
  EXPECT_EQ(product_stream("SKU-1"), "product-SKU-1");
  EXPECT_EQ(customer_stream("c-1"), "customer-c-1");
}

TEST(AggregateTest, InitialStateFollowsThePrefix) {
  EXPECT_TRUE(std::holds_alternative<OrderState>(initial_state("order-1")));
  EXPECT_TRUE(std::holds_alternative<ProductState>(initial_state("product-SKU-1")));
  EXPECT_TRUE(std::holds_alternative<CustomerState>(initial_state("customer-c1")));
  for (const char* id : {"", "orders-1", "Order-1", "payment-1", "order"}) {
    EXPECT_TRUE(std::holds_alternative<UnknownStream>(initial_state(id))) << id;
  }
  for (const char* id : {"order-1", "product-SKU-1", "customer-c1", "nope-1"}) {
    EXPECT_EQ(version_of(initial_state(id)), 0u);
    EXPECT_EQ(status_of(initial_state(id)), "");
  }
}

TEST(AggregateTest, UnknownStreamsRejectEverything) {
  auto s = initial_state("payment-1");
  v1::Command c;
  c.set_stream_id("payment-1");
  c.mutable_pay_order()->set_order_id("1");
  auto d = decide(s, c, DecideContext{});
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "validation_failed");
  v1::EventPayload e;
  e.mutable_order_paid();
  evolve(s, e);
  EXPECT_EQ(version_of(s), 1u);
}

TEST(AggregateTest, CommandsForAnotherAggregateAreRefused) {
  struct Wrong {
    std::string stream;
    std::function<void(v1::Command&)> body;
  };
  const std::vector<Wrong> wrong = {
      {"product-SKU-1", [](v1::Command& c) { c.mutable_ship_order(); }},
      {"product-SKU-1", [](v1::Command& c) { c.mutable_place_order(); }},
      {"product-SKU-1", [](v1::Command& c) { c.mutable_register_customer(); }},
      {"order-1", [](v1::Command& c) { c.mutable_create_product(); }},
      {"order-1", [](v1::Command& c) { c.mutable_reserve_stock(); }},
      {"order-1", [](v1::Command& c) { c.mutable_register_customer(); }},
      {"customer-c1", [](v1::Command& c) { c.mutable_place_order(); }},
      {"customer-c1", [](v1::Command& c) { c.mutable_restock(); }},
      {"order-1", [](v1::Command&) {}},
      {"product-SKU-1", [](v1::Command&) {}},
      {"customer-c1", [](v1::Command&) {}},
  };
  for (const auto& w : wrong) {
    v1::Command c;
    c.set_stream_id(w.stream);
    w.body(c);
    auto d = decide(initial_state(w.stream), c, DecideContext{});
    ASSERT_TRUE(d.rejection) << w.stream << " " << c.body_case();
    EXPECT_EQ(d.rejection->code, "validation_failed") << w.stream << " " << c.body_case();
    EXPECT_TRUE(d.events.empty());
  }
}

TEST(AggregateTest, EveryEventCountsTowardsTheVersion) {
  auto s = initial_state("order-1");
  v1::EventPayload foreign;
  foreign.mutable_product_restocked()->set_quantity(5);
  evolve(s, foreign);
  evolve(s, v1::EventPayload{});
  EXPECT_EQ(version_of(s), 2u);
}

TEST(AggregateTest, EventTypesAreCamelCaseNames) {
  using E = v1::EventPayload;
  const std::vector<std::pair<std::function<void(E&)>, std::string>> all = {
      {[](E& e) { e.mutable_product_created(); }, "ProductCreated"},
      {[](E& e) { e.mutable_product_price_changed(); }, "ProductPriceChanged"},
      {[](E& e) { e.mutable_product_restocked(); }, "ProductRestocked"},
      {[](E& e) { e.mutable_product_discontinued(); }, "ProductDiscontinued"},
      {[](E& e) { e.mutable_stock_reserved(); }, "StockReserved"},
      {[](E& e) { e.mutable_stock_released(); }, "StockReleased"},
      {[](E& e) { e.mutable_stock_rejected(); }, "StockRejected"},
      {[](E& e) { e.mutable_customer_registered(); }, "CustomerRegistered"},
      {[](E& e) { e.mutable_customer_forgotten(); }, "CustomerForgotten"},
      {[](E& e) { e.mutable_account_registered(); }, "AccountRegistered"},
      {[](E& e) { e.mutable_refresh_token_issued(); }, "RefreshTokenIssued"},
      {[](E& e) { e.mutable_refresh_token_rotated(); }, "RefreshTokenRotated"},
      {[](E& e) { e.mutable_refresh_tokens_revoked(); }, "RefreshTokensRevoked"},
      {[](E& e) { e.mutable_password_changed(); }, "PasswordChanged"},
      {[](E& e) { e.mutable_password_reset_requested(); }, "PasswordResetRequested"},
      {[](E& e) { e.mutable_login_failed(); }, "LoginFailed"},
      {[](E& e) { e.mutable_account_locked(); }, "AccountLocked"},
      {[](E& e) { e.mutable_order_placed(); }, "OrderPlaced"},
      {[](E& e) { e.mutable_order_paid(); }, "OrderPaid"},
      {[](E& e) { e.mutable_order_shipped(); }, "OrderShipped"},
      {[](E& e) { e.mutable_order_delivered(); }, "OrderDelivered"},
      {[](E& e) { e.mutable_order_cancelled(); }, "OrderCancelled"},
      {[](E& e) { e.mutable_order_return_requested(); }, "OrderReturnRequested"},
      {[](E& e) { e.mutable_order_returned(); }, "OrderReturned"},
      {[](E& e) { e.mutable_order_confirmed(); }, "OrderConfirmed"},
      {[](E& e) { e.mutable_order_expired(); }, "OrderExpired"},
      {[](E& e) { e.mutable_order_stock_reserved(); }, "OrderStockReserved"},
      {[](E& e) { e.mutable_order_payment_action_required(); }, "OrderPaymentActionRequired"},
      {[](E& e) { e.mutable_order_payment_action_completed(); }, "OrderPaymentActionCompleted"},
      {[](E& e) { e.mutable_stock_committed(); }, "StockCommitted"},
      {[](E& e) { e.mutable_stock_shipped(); }, "StockShipped"},
  };
  // One name per oneof case: a new event must be named here too.
  EXPECT_EQ(static_cast<int>(all.size()), E::descriptor()->FindOneofByName("event")->field_count());
  for (const auto& [make, name] : all) {
    E e;
    make(e);
    EXPECT_EQ(event_type(e), name);
    EXPECT_EQ(schema_version(e), 1u);
  }
  EXPECT_EQ(event_type(E{}), "");
}

}  // namespace
}  // namespace orderline::domain
