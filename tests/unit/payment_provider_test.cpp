// The simulated payment provider: decisions that depend only on the seed and the order,
// idempotency keys answered from the ledger (also after a restart), the movements a payment
// allows, latency through the injected timers, a torn ledger line after a crash, and a batch of
// calls (submit_all) answered as the same calls one by one.
#include <gtest/gtest.h>

#include <fstream>

#include "commands/payments/simulated_provider.h"
#include "tests/support/process.h"

namespace orderline::commands {
namespace {

constexpr std::int64_t kStart = 1'000'000;

PaymentRequest request(PaymentOp op, const std::string& order_id, const std::string& key = "") {
  PaymentRequest r;
  r.op = op;
  r.order_id = order_id;
  r.idempotency_key = key.empty() ? std::string(to_string(op)) + "/" + order_id : key;
  r.amount.set_amount_minor(1500);
  r.amount.set_currency("EUR");
  return r;
}

std::string call(SimulatedPaymentProvider& p, PaymentRequest r) {
  std::string outcome = "(no answer)";
  p.submit(std::move(r), [&](PaymentResult result) { outcome = result.outcome; });
  return outcome;
}

SimulatedProviderOptions options(double decline, double action, std::uint64_t seed, std::string ledger = "") {
  SimulatedProviderOptions o;
  o.decline_rate = decline;
  o.requires_action_rate = action;
  o.seed = seed;
  o.ledger_path = std::move(ledger);
  return o;
}

TEST(SimulatedProvider, DecisionsDependOnSeedAndOrderNotOnArrival) {
  ManualTimers timers(kStart);
  auto now = [&] { return timers.now_us(); };
  SimulatedPaymentProvider a(options(0.3, 0.2, 42), timers, now);
  SimulatedPaymentProvider b(options(0.3, 0.2, 42), timers, now);
  std::map<std::string, int> counts;
  std::vector<std::string> forward;
  for (int i = 0; i < 1000; ++i) forward.push_back(call(a, request(PaymentOp::authorize, "o" + std::to_string(i))));
  for (int i = 999; i >= 0; --i) {
    EXPECT_EQ(call(b, request(PaymentOp::authorize, "o" + std::to_string(i))), forward[i]) << i;
  }
  for (const auto& o : forward) ++counts[o];
  // Roughly the configured shares (a hash, not a fixed list): 30 % declined, then 20 % of the rest.
  EXPECT_GT(counts["declined"], 200);
  EXPECT_LT(counts["declined"], 400);
  EXPECT_GT(counts["requires_action"], 80);
  EXPECT_LT(counts["requires_action"], 200);
  EXPECT_EQ(counts["declined"] + counts["requires_action"] + counts["authorized"], 1000);

  SimulatedPaymentProvider other(options(0.3, 0.2, 43), timers, now);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) differ += call(other, request(PaymentOp::authorize, "o" + std::to_string(i))) != forward[i];
  EXPECT_GT(differ, 0);
}

TEST(SimulatedProvider, MovementsFollowThePaymentsState) {
  ManualTimers timers(kStart);
  SimulatedPaymentProvider p(options(0, 0, 1), timers, [&] { return timers.now_us(); });
  EXPECT_EQ(call(p, request(PaymentOp::capture, "o1")), "failed");  // nothing authorised
  EXPECT_EQ(call(p, request(PaymentOp::authorize, "o1")), "authorized");
  EXPECT_EQ(call(p, request(PaymentOp::capture, "o1", "capture-2")), "captured");
  EXPECT_EQ(call(p, request(PaymentOp::void_hold, "o1")), "failed");  // captured: refund instead
  EXPECT_EQ(call(p, request(PaymentOp::refund, "o1")), "refunded");
  // A void that comes before the authorisation forbids it.
  EXPECT_EQ(call(p, request(PaymentOp::void_hold, "o2")), "voided");
  EXPECT_EQ(call(p, request(PaymentOp::authorize, "o2")), "declined");
}

TEST(SimulatedProvider, AnIdempotencyKeyGetsItsFirstAnswerAlsoAfterARestart) {
  testing::TempDir dir;
  const auto ledger = dir.path() + "/payments.ledger";
  ManualTimers timers(kStart);
  auto now = [&] { return timers.now_us(); };
  {
    SimulatedPaymentProvider p(options(0, 1.0, 1, ledger), timers, now);
    EXPECT_EQ(call(p, request(PaymentOp::authorize, "o1")), "requires_action");
    EXPECT_EQ(call(p, request(PaymentOp::complete_action, "o1")), "authorized");
    // The same key again: the first answer, nothing new in the ledger.
    EXPECT_EQ(call(p, request(PaymentOp::authorize, "o1")), "requires_action");
    EXPECT_EQ(p.ledger().size(), 2u);
  }
  // A restarted provider (another decline rate even) answers the known key from its ledger.
  SimulatedPaymentProvider again(options(1.0, 0, 1, ledger), timers, now);
  EXPECT_EQ(call(again, request(PaymentOp::authorize, "o1")), "requires_action");
  EXPECT_EQ(call(again, request(PaymentOp::capture, "o1")), "captured");  // the state came back too
  const auto entries = read_ledger(ledger);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].op, PaymentOp::authorize);
  EXPECT_EQ(entries[0].amount_minor, 1500);
  EXPECT_EQ(entries[0].currency, "EUR");
  EXPECT_EQ(entries[2].outcome, "captured");
}

TEST(SimulatedProvider, ATornLastLineIsIgnored) {
  testing::TempDir dir;
  const auto ledger = dir.path() + "/payments.ledger";
  ManualTimers timers(kStart);
  {
    SimulatedPaymentProvider p(options(0, 0, 1, ledger), timers, [&] { return timers.now_us(); });
    call(p, request(PaymentOp::authorize, "o1"));
  }
  std::ofstream(ledger, std::ios::app) << "capture\tcapture/o1\to1\tcapt";  // a crash mid-write
  EXPECT_EQ(read_ledger(ledger).size(), 1u);
  SimulatedPaymentProvider p(options(0, 0, 1, ledger), timers, [&] { return timers.now_us(); });
  EXPECT_EQ(call(p, request(PaymentOp::capture, "o1")), "captured");
  // The torn line was cut off, so the new one reads back whole.
  const auto entries = read_ledger(ledger);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].op, PaymentOp::capture);
  EXPECT_EQ(entries[1].outcome, "captured");
}

TEST(SimulatedProvider, LatencyDelaysTheAnswerOnTheInjectedClock) {
  ManualTimers timers(kStart);
  auto o = options(0, 0, 1);
  o.latency_us = 500;
  SimulatedPaymentProvider p(o, timers, [&] { return timers.now_us(); });
  std::string outcome;
  p.submit(request(PaymentOp::authorize, "o1"), [&](PaymentResult r) { outcome = r.outcome; });
  EXPECT_EQ(outcome, "");
  timers.advance_to(kStart + 499);
  EXPECT_EQ(outcome, "");
  timers.advance_to(kStart + 500);
  EXPECT_EQ(outcome, "authorized");
}

TEST(SimulatedProvider, ABatchIsAnsweredAsTheSameCallsOneByOne) {
  testing::TempDir dir;
  const auto ledger = dir.path() + "/payments.ledger";
  ManualTimers timers(kStart);
  auto now = [&] { return timers.now_us(); };
  const std::vector<PaymentRequest> calls = {
      request(PaymentOp::authorize, "o1"), request(PaymentOp::void_hold, "o2"),
      request(PaymentOp::capture, "o1"),   request(PaymentOp::authorize, "o2"),
      request(PaymentOp::authorize, "o1"),  // a repeated key: its first answer, no second movement
      request(PaymentOp::refund, "o1")};
  SimulatedPaymentProvider single(options(0.5, 0, 7), timers, now);
  std::vector<std::string> expected;
  for (const auto& r : calls) expected.push_back(call(single, r));

  SimulatedPaymentProvider batched(options(0.5, 0, 7, ledger), timers, now);
  std::vector<std::string> answers(calls.size(), "(no answer)");
  std::vector<PaymentCall> batch;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    // When an answer arrives, its movement (and every one before it) is in the file already.
    batch.push_back({calls[i], [&, i](PaymentResult r) {
                       answers[i] = r.outcome;
                       EXPECT_EQ(read_ledger(ledger).size(), 5u) << i;
                     }});
  }
  batched.submit_all(std::move(batch));
  EXPECT_EQ(answers, expected);
  const auto entries = read_ledger(ledger);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].order_id, "o1");
  EXPECT_EQ(entries[1].op, PaymentOp::void_hold);
  EXPECT_EQ(entries[4].op, PaymentOp::refund);
  EXPECT_EQ(batched.ledger().size(), 5u);
}

}  // namespace
}  // namespace orderline::commands
