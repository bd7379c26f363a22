// The order saga in process (real embedded log, bus, simulated provider and runner on a
// hand-driven clock): the happy path and every failure and compensation path, time-outs,
// races for the last unit, a flash sale, and restarts mid-way that must not reserve or charge
// twice. Each test ends in a settled saga (every step finished), so nothing here waits on time.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/support/saga_fixture.h"

namespace orderline {
namespace {

using commands::PaymentOp;
using testing::create_product;
using testing::order_action;
using testing::place_order;
using testing::SagaHarness;

commands::SimulatedProviderOptions provider(double decline = 0, double action = 0, std::int64_t latency_us = 0) {
  commands::SimulatedProviderOptions options;
  options.decline_rate = decline;
  options.requires_action_rate = action;
  options.latency_us = latency_us;
  options.seed = 7;
  return options;
}

v1::Command return_command(const std::string& order_id, const std::string& return_id, bool receive) {
  v1::Command command;
  command.set_command_id(std::string(receive ? "receive-" : "return-") + order_id);
  command.set_stream_id(domain::order_stream(order_id));
  command.set_expected_version(-1);
  command.set_request_hash("r");
  v1::OrderAction body;
  body.set_order_id(order_id);
  body.set_return_id(return_id);
  *(receive ? command.mutable_receive_return() : command.mutable_request_return()) = body;
  return command;
}

std::size_t count_ops(const std::vector<commands::LedgerEntry>& ledger, PaymentOp op, const std::string& order_id = "") {
  return static_cast<std::size_t>(std::count_if(ledger.begin(), ledger.end(), [&](const auto& e) {
    return e.op == op && (order_id.empty() || e.order_id == order_id);
  }));
}

// Stock promised by live holds never exceeds stock on hand.
void expect_not_oversold(const domain::ProductState& product) {
  std::int64_t held = 0;
  for (const auto& r : product.reservations) held += r.quantity;
  EXPECT_LE(held, product.on_hand) << product.sku;
  EXPECT_GE(product.on_hand, 0) << product.sku;
}

class SagaTest : public ::testing::Test {
 protected:
  void stock(SagaHarness& h, const std::string& sku, std::int64_t quantity) {
    auto reply = h.run(create_product(sku, 1000, quantity));
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  }
  void place(SagaHarness& h, const std::string& order_id, std::vector<std::pair<std::string, int>> lines) {
    auto reply = h.run(place_order(order_id, "c1", std::move(lines)));
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  }
};

TEST_F(SagaTest, APlacedOrderIsReservedAuthorisedAndConfirmedByItself) {
  SagaHarness h(provider());
  stock(h, "SKU-1", 10);
  stock(h, "SKU-2", 10);
  place(h, "o1", {{"SKU-1", 2}, {"SKU-2", 3}});
  h.settle();

  const auto order = h.order("o1");
  EXPECT_EQ(order.status, "confirmed");
  EXPECT_EQ(order.payment_status, "authorized");
  EXPECT_EQ(h.types("order-o1"),
            (std::vector<std::string>{"OrderPlaced", "OrderStockReserved", "OrderStockReserved", "OrderConfirmed"}));
  // The holds are permanent now (no expiry) and stock on hand is untouched until shipping.
  for (const auto& [sku, quantity] : {std::pair{"SKU-1", 2}, std::pair{"SKU-2", 3}}) {
    const auto product = h.product(sku);
    ASSERT_EQ(product.reservations.size(), 1u) << sku;
    EXPECT_EQ(product.reservations[0].quantity, quantity);
    EXPECT_EQ(product.reservations[0].expires_at_us, 0);
    EXPECT_EQ(product.on_hand, 10);
  }
  const auto ledger = h.ledger();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].op, PaymentOp::authorize);
  EXPECT_EQ(ledger[0].outcome, "authorized");
  EXPECT_EQ(ledger[0].amount_minor, 2 * 1000 + 3 * 1000);
  EXPECT_EQ(h.saga().stats().timeouts_armed, 0u);
}

TEST_F(SagaTest, ShippingCapturesAndTakesTheGoodsOutOfStock) {
  SagaHarness h(provider());
  stock(h, "SKU-1", 10);
  place(h, "o1", {{"SKU-1", 4}});
  h.settle();
  ASSERT_TRUE(h.run(order_action("o1", "ship")).outcome.accepted());
  h.settle();
  EXPECT_EQ(h.order("o1").payment_status, "captured");
  const auto product = h.product("SKU-1");
  EXPECT_EQ(product.on_hand, 6);
  EXPECT_TRUE(product.reservations.empty());
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::capture, "o1"), 1u);
}

TEST_F(SagaTest, AMissingLineCancelsTheOrderOutOfStockAndReleasesTheOthers) {
  SagaHarness h(provider());
  stock(h, "SKU-1", 10);
  stock(h, "SKU-2", 1);
  place(h, "o1", {{"SKU-1", 2}, {"SKU-2", 3}});
  h.settle();

  const auto order = h.order("o1");
  EXPECT_EQ(order.status, "cancelled");
  // The hold of SKU-1 may land after the cancellation; it is recorded and given back.
  auto events = h.types("order-o1");
  EXPECT_EQ(std::count(events.begin(), events.end(), "OrderCancelled"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "OrderConfirmed"), 0);
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());  // compensated
  EXPECT_TRUE(h.product("SKU-2").reservations.empty());
  EXPECT_EQ(h.types("product-SKU-2").back(), "StockRejected");
  // No money was asked for.
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 0u);
}

TEST_F(SagaTest, ADeclinedPaymentCancelsTheOrderAndReleasesTheStock) {
  SagaHarness h(provider(/*decline=*/1.0));
  stock(h, "SKU-1", 10);
  place(h, "o1", {{"SKU-1", 2}});
  h.settle();

  const auto order = h.order("o1");
  EXPECT_EQ(order.status, "cancelled");
  EXPECT_EQ(order.payment_status, "failed");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
  EXPECT_EQ(h.types("product-SKU-1").back(), "StockReleased");
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 1u);
}

TEST_F(SagaTest, RequiresActionWaitsForPayAndThenConfirms) {
  SagaHarness h(provider(0, /*action=*/1.0));
  stock(h, "SKU-1", 10);
  place(h, "o1", {{"SKU-1", 1}});
  h.settle();
  EXPECT_EQ(h.order("o1").status, "placed");
  EXPECT_EQ(h.order("o1").payment_status, "requires_action");
  EXPECT_EQ(h.saga().stats().timeouts_armed, 1u);

  ASSERT_TRUE(h.run(order_action("o1", "pay")).outcome.accepted());
  h.settle();
  EXPECT_EQ(h.order("o1").status, "confirmed");
  EXPECT_EQ(h.order("o1").payment_status, "authorized");
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::complete_action, "o1"), 1u);
  EXPECT_EQ(h.saga().stats().timeouts_armed, 0u);
}

TEST_F(SagaTest, PayIsRefusedWhileTheSagaIsAuthorising) {
  // The provider's answer is late (latency on a clock nobody advances): the order waits.
  commands::ManualTimers stalled(testing::kSagaStartUs);
  SagaHarness h(provider());
  h.stop_saga();
  h.start_saga(provider(0, 0, 1'000'000), stalled);
  stock(h, "SKU-1", 10);
  place(h, "o1", {{"SKU-1", 1}});
  // Wait for the hold (the saga's reply lands as OrderStockReserved) without settling.
  for (int i = 0; i < 6000 && h.order("o1").held.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_FALSE(h.order("o1").held.empty());
  auto reply = h.run(order_action("o1", "pay"));
  EXPECT_FALSE(reply.outcome.accepted());
  EXPECT_EQ(reply.outcome.error_code(), "invalid_transition");
  h.stop_saga();
}

TEST_F(SagaTest, CancellingAConfirmedOrderVoidsTheAuthorisationAndReleasesStock) {
  SagaHarness h(provider());
  stock(h, "SKU-1", 5);
  place(h, "o1", {{"SKU-1", 5}});
  h.settle();
  ASSERT_EQ(h.order("o1").status, "confirmed");
  ASSERT_TRUE(h.run(order_action("o1", "cancel")).outcome.accepted());
  h.settle();
  EXPECT_EQ(h.order("o1").payment_status, "voided");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::void_hold, "o1"), 1u);
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::capture), 0u);
  // The stock is free again: another order gets all of it.
  place(h, "o2", {{"SKU-1", 5}});
  h.settle();
  EXPECT_EQ(h.order("o2").status, "confirmed");
}

TEST_F(SagaTest, CancellingWhileWaitingForTheCustomerVoidsAndReleases) {
  SagaHarness h(provider(0, 1.0));
  stock(h, "SKU-1", 5);
  place(h, "o1", {{"SKU-1", 2}});
  h.settle();
  ASSERT_TRUE(h.run(order_action("o1", "cancel")).outcome.accepted());
  h.settle();
  EXPECT_EQ(h.order("o1").status, "cancelled");
  EXPECT_EQ(h.order("o1").payment_status, "voided");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
  EXPECT_EQ(h.saga().stats().timeouts_armed, 0u);
}

TEST_F(SagaTest, AReturnRefundsTheCapturedPaymentAndRestocks) {
  SagaHarness h(provider());
  stock(h, "SKU-1", 10);
  place(h, "o1", {{"SKU-1", 3}});
  h.settle();
  for (const char* action : {"ship", "deliver"}) ASSERT_TRUE(h.run(order_action("o1", action)).outcome.accepted());
  h.settle();
  ASSERT_EQ(h.product("SKU-1").on_hand, 7);
  ASSERT_TRUE(h.run(return_command("o1", "r1", false)).outcome.accepted());
  ASSERT_TRUE(h.run(return_command("o1", "r1", true)).outcome.accepted());
  h.settle();
  EXPECT_EQ(h.order("o1").status, "returned");
  EXPECT_EQ(h.order("o1").payment_status, "refunded");
  EXPECT_EQ(h.product("SKU-1").on_hand, 10);
  const auto ledger = h.ledger();
  EXPECT_EQ(count_ops(ledger, PaymentOp::capture, "o1"), 1u);
  EXPECT_EQ(count_ops(ledger, PaymentOp::refund, "o1"), 1u);
  EXPECT_EQ(ledger.back().outcome, "refunded");
}

TEST_F(SagaTest, AnUnpaidReservationExpiresWithTheInjectedClock) {
  SagaHarness h(provider(0, 1.0));  // the customer never completes the payment
  stock(h, "SKU-1", 1);
  place(h, "o1", {{"SKU-1", 1}});
  h.settle();
  ASSERT_EQ(h.order("o1").timeout_due_at_us, testing::kSagaStartUs + testing::kSagaTtlUs);

  // One microsecond early: nothing happens.
  h.clock().advance_to(testing::kSagaStartUs + testing::kSagaTtlUs - 1);
  h.settle();
  EXPECT_EQ(h.order("o1").status, "placed");

  h.clock().advance_to(testing::kSagaStartUs + testing::kSagaTtlUs);
  h.settle();
  const auto order = h.order("o1");
  EXPECT_EQ(order.status, "expired");
  EXPECT_EQ(order.payment_status, "voided");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::void_hold, "o1"), 1u);
  EXPECT_EQ(h.saga().stats().timeouts_armed, 0u);
  // The freed unit goes to the next customer.
  h.stop_saga();
  h.start_saga(provider(), h.clock());
  place(h, "o2", {{"SKU-1", 1}});
  h.settle();
  EXPECT_EQ(h.order("o2").status, "confirmed");
}

TEST_F(SagaTest, TimeOutsAreReArmedAfterARestart) {
  SagaHarness h(provider(0, 1.0));
  stock(h, "SKU-1", 1);
  place(h, "o1", {{"SKU-1", 1}});
  h.settle();
  // A restart: the new runner knows the time-out only from its stored index.
  h.stop_saga();
  h.start_saga(provider(0, 1.0), h.clock());
  h.settle();
  EXPECT_EQ(h.saga().stats().timeouts_armed, 1u);
  h.clock().advance_to(testing::kSagaStartUs + testing::kSagaTtlUs);
  h.settle();
  EXPECT_EQ(h.order("o1").status, "expired");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
}

TEST_F(SagaTest, APaymentAnsweredAfterTheTimeOutFindsTheOrderExpiredAndIsVoided) {
  // The provider answers two minutes later; the hold lasts one.
  SagaHarness h(provider());
  h.stop_saga();
  h.start_saga(provider(0, 0, 2 * testing::kSagaTtlUs), h.clock());
  stock(h, "SKU-1", 1);
  place(h, "o1", {{"SKU-1", 1}});
  for (int n = 0; n < 6000 && count_ops(h.ledger(), PaymentOp::authorize, "o1") == 0; ++n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(count_ops(h.ledger(), PaymentOp::authorize, "o1"), 1u);
  // The time-out fires first, then the late "authorized" arrives at an expired order.
  h.clock().advance_to(testing::kSagaStartUs + 2 * testing::kSagaTtlUs);
  // The void the expiry calls for is answered two minutes later again.
  for (int i = 2; i < 6 && !h.saga().wait_idle(std::chrono::milliseconds(500)); ++i) {
    h.clock().advance_to(testing::kSagaStartUs + 2 * i * testing::kSagaTtlUs);
  }
  h.settle();
  const auto order = h.order("o1");
  EXPECT_EQ(order.status, "expired");
  EXPECT_TRUE(h.product("SKU-1").reservations.empty());
  const auto ledger = h.ledger();
  EXPECT_EQ(count_ops(ledger, PaymentOp::authorize, "o1"), 1u);
  EXPECT_EQ(count_ops(ledger, PaymentOp::void_hold, "o1"), 1u);
  EXPECT_EQ(ledger.back().outcome, "voided");  // no money stays held
}

TEST_F(SagaTest, TwoCustomersRaceForTheLastUnitAndExactlyOneWins) {
  for (int round = 0; round < 20; ++round) {
    SagaHarness h(provider());
    stock(h, "LAST", 1);
    // Both placed at once, from two threads.
    std::thread a([&] { place(h, "a", {{"LAST", 1}}); });
    std::thread b([&] { place(h, "b", {{"LAST", 1}}); });
    a.join();
    b.join();
    h.settle();
    const auto sa = h.order("a").status;
    const auto sb = h.order("b").status;
    EXPECT_TRUE((sa == "confirmed" && sb == "cancelled") || (sa == "cancelled" && sb == "confirmed"))
        << "round " << round << ": " << sa << " / " << sb;
    expect_not_oversold(h.product("LAST"));
    EXPECT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 1u);
  }
}

TEST_F(SagaTest, AFlashSaleSellsExactlyTheStock) {
  SagaHarness h(provider(), 8);
  stock(h, "FLASH", 100);
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = t; i < 1000; i += 4) place(h, "flash-" + std::to_string(i), {{"FLASH", 1}});
    });
  }
  for (auto& c : clients) c.join();
  h.settle();
  std::map<std::string, int> outcomes;
  for (int i = 0; i < 1000; ++i) {
    const auto order = h.order("flash-" + std::to_string(i));
    outcomes[order.status]++;
  }
  EXPECT_EQ(outcomes["confirmed"], 100);
  EXPECT_EQ(outcomes["cancelled"], 900);
  const auto product = h.product("FLASH");
  EXPECT_EQ(product.reservations.size(), 100u);
  expect_not_oversold(product);
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 100u);
}

TEST_F(SagaTest, ReplayingTheWholeLogChangesNothing) {
  SagaHarness h(provider(0.3, 0.3));
  stock(h, "SKU-1", 6);
  stock(h, "SKU-2", 50);
  for (int i = 0; i < 40; ++i) place(h, "o" + std::to_string(i), {{"SKU-1", 1}, {"SKU-2", 1}});
  h.settle();
  int confirmed = 0;
  for (int i = 0; i < 40; ++i) {
    const auto id = "o" + std::to_string(i);
    if (h.order(id).status != "confirmed") continue;
    if (++confirmed == 1) {
      ASSERT_TRUE(h.run(order_action(id, "cancel")).outcome.accepted());
    }
  }
  ASSERT_GE(confirmed, 2);  // some of each kind: confirmed, declined, waiting, out of stock
  h.settle();
  const auto size = h.log_size();
  const auto ledger = h.ledger().size();

  // A runner that lost its checkpoints reacts to every event again: same ids, same keys.
  h.stop_saga();
  std::filesystem::remove_all(h.saga_dir());
  h.start_saga(provider(0.3, 0.3), h.clock());
  h.settle();
  EXPECT_EQ(h.log_size(), size);
  EXPECT_EQ(h.ledger().size(), ledger);
  expect_not_oversold(h.product("SKU-1"));
}

TEST_F(SagaTest, ARestartWhileThePaymentIsInFlightChargesOnce) {
  // First run: the provider decides (and records) the authorisations, but its answers never
  // arrive: the runner stops with them in flight, like a crash.
  commands::ManualTimers never(testing::kSagaStartUs);
  SagaHarness h(provider());
  h.stop_saga();
  h.start_saga(provider(0, 0, 1'000), never);
  stock(h, "SKU-1", 10);
  for (int i = 0; i < 5; ++i) place(h, "o" + std::to_string(i), {{"SKU-1", 2}});
  for (int i = 0; i < 5; ++i) {
    for (int n = 0; n < 6000 && count_ops(h.ledger(), PaymentOp::authorize, "o" + std::to_string(i)) == 0; ++n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 5u);
  h.stop_saga();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.order("o" + std::to_string(i)).status, "placed");

  // Second run: replays from its checkpoint, asks again with the same keys, confirms.
  h.start_saga(provider(), h.clock());
  h.settle();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.order("o" + std::to_string(i)).status, "confirmed");
  EXPECT_EQ(count_ops(h.ledger(), PaymentOp::authorize), 5u);  // answered from the ledger
  const auto product = h.product("SKU-1");
  EXPECT_EQ(product.reservations.size(), 5u);
  expect_not_oversold(product);
  const auto reserved = h.types("product-SKU-1");
  EXPECT_EQ(std::count(reserved.begin(), reserved.end(), "StockReserved"), 5);
}

}  // namespace
}  // namespace orderline
