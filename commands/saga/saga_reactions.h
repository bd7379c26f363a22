#pragma once
// The order saga as a pure function: one event in, the actions it calls for out. The runner
// (saga_runner.h) executes them; replaying an event gives the same actions with the same ids,
// which is what makes a restart mid-way harmless:
//   - every command id is (order, step, the event that triggered it), so the processor answers
//     a repeat with its first outcome instead of reserving twice;
//   - every payment call carries an idempotency key of the same kind, so the provider answers
//     a repeat with its first answer instead of charging twice.
//
//   OrderPlaced            -> reserve_stock per line (product streams)
//   StockReserved/Rejected -> record_stock to the order        (a reply is a command)
//   OrderStockReserved     -> all lines held: authorize, then record_payment to the order;
//                             arm the time-out at the hold's expiry; on a dead order: release
//   OrderPaymentActionCompleted -> complete_action, then record_payment
//   OrderConfirmed         -> commit_stock per line; disarm
//   OrderCancelled/Expired -> release_stock per line, void or refund; disarm
//   OrderShipped           -> capture; ship_stock per line
//   OrderReturned          -> refund; restock per line
#include <cstdint>
#include <string>
#include <vector>

#include "commands/payments/payment_provider.h"
#include "domain/aggregate.h"
#include "orderline/v1/commands.pb.h"
#include "orderline/v1/envelope.pb.h"

namespace orderline::commands::saga {

struct SagaPolicy {
  std::int64_t reservation_ttl_us = 15LL * 60 * 1'000'000;  // how long a hold waits for payment
};

struct SagaAction {
  enum class Kind {
    command,  // submit `command`
    payment,  // call the provider with `payment`; if reply_command_id is set, send the answer
              // to the order as record_payment with that id
    arm,      // schedule the order's time-out at due_us
    disarm,   // the order no longer waits for anything: drop its time-out
  };
  Kind kind = Kind::command;
  v1::Command command;
  PaymentRequest payment;
  std::string reply_command_id;
  std::string correlation_id;  // of the triggering event, carried by the reply
  std::string order_id;
  std::int64_t due_us = 0;
};

// True when react() needs the order's state as of the event (events of order streams).
bool needs_order(const v1::EventPayload& event);

// `order`: the order's state folded up to and including this event (nullptr when
// needs_order() is false). Events of orders the saga does not run (placed without it) call
// for nothing.
std::vector<SagaAction> react(const v1::EventEnvelope& envelope, const v1::EventPayload& event,
                              const domain::OrderState* order, const SagaPolicy& policy);

// The record_payment command that carries a provider's answer to the order.
v1::Command payment_reply(const std::string& command_id, const std::string& order_id, const PaymentResult& result,
                          const std::string& correlation_id);
// The command a due time-out sends.
v1::Command expire_command(const std::string& order_id, std::int64_t due_us);

}  // namespace orderline::commands::saga
