#pragma once
// The payment provider the order saga talks to (DESIGN "Domain"): one asynchronous call per
// money movement, each with an idempotency key, so a saga that repeats a call after a restart
// gets the first answer instead of a second charge. Built in: SimulatedPaymentProvider.
//
//   provider.submit({PaymentOp::authorize, "order/42/authorize", "42", total},
//                   [](PaymentResult r) { /* r.outcome == "authorized", "declined", ... */ });
#include <functional>
#include <string>
#include <vector>

#include "orderline/v1/events.pb.h"

namespace orderline::commands {

enum class PaymentOp {
  authorize,        // hold the amount: authorized, declined or requires_action
  complete_action,  // the customer did what the provider asked: authorized or declined
  capture,          // take an authorised amount: captured (failed if nothing is authorised)
  void_hold,        // release an authorisation (or forbid one still in flight): voided
  refund,           // give a captured amount back: refunded
};
const char* to_string(PaymentOp op);

struct PaymentRequest {
  PaymentOp op = PaymentOp::authorize;
  std::string idempotency_key;  // the same key always gets the same answer
  std::string order_id;         // the payment this movement belongs to
  v1::Money amount;
};

struct PaymentResult {
  // authorized, declined, requires_action, captured, voided, refunded; "failed" when the
  // movement is impossible (capture of nothing, refund of nothing captured).
  std::string outcome;
  std::string reference;  // the provider's id of the payment
  std::string detail;     // why, for declines and failures
};

// Called exactly once per request, on an arbitrary thread (or inline, before submit returns).
using PaymentCallback = std::function<void(PaymentResult)>;

struct PaymentCall {
  PaymentRequest request;
  PaymentCallback done;
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  virtual void submit(PaymentRequest request, PaymentCallback done) = 0;
  // Several calls at once, in order, each answered as submit() would answer it. A provider
  // that makes every movement durable before answering may make the lot durable together
  // (the simulated one: one fdatasync of its ledger instead of one per call).
  virtual void submit_all(std::vector<PaymentCall> calls) {
    for (auto& call : calls) submit(std::move(call.request), std::move(call.done));
  }
};

}  // namespace orderline::commands
