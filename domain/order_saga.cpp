// The order's side of the order saga: the saga asks products for stock and the payment
// provider for money, and their answers come back to the order as commands (record_stock,
// record_payment, expire_order). The order decides what they mean for its state machines,
// so the saga's progress is the order's own stream (DESIGN "Domain").
//
// An answer that arrives late (the order was cancelled or expired meanwhile) is still
// recorded when it leaves something behind (a hold), so the saga sees it and undoes it.
#include <algorithm>

#include "domain/internal.h"

namespace orderline::domain::internal {
namespace {

using C = v1::Command;

v1::OrderMoved moved_by_saga(const OrderState& s, std::string reason) {
  v1::OrderMoved move;
  move.set_order_id(s.order_id);
  move.set_reason(std::move(reason));
  return move;
}

void add(v1::OrderMoved& move, std::string_view machine, std::string_view from, std::string_view to) {
  *move.add_transitions() = transition(machine, from, to);
}

bool holds(const OrderState& s, std::string_view sku) {
  return std::any_of(s.held.begin(), s.held.end(), [&](const auto& h) { return h.first == sku; });
}

// Stock refused for one line: the whole order is off (also a confirmed one whose hold could
// not be made permanent). Goods that have left are a return's business, not this one's.
Decision out_of_stock(const OrderState& s) {
  if ((s.status != status::placed && s.status != status::confirmed) || s.fulfillment_status != status::unfulfilled) {
    return no_op();
  }
  auto move = moved_by_saga(s, codes::out_of_stock);
  add(move, "order", s.status, status::cancelled);
  add_payment_unwind(move, s);
  v1::EventPayload event;
  *event.mutable_order_cancelled() = std::move(move);
  return emit(std::move(event));
}

Decision record_stock(const OrderState& s, const v1::StockReply& reply) {
  if (reply.sku().empty()) return reject(codes::validation_failed, "sku is required", "sku");
  if (!reply.reserved()) return out_of_stock(s);
  if (holds(s, reply.sku())) return no_op();
  v1::EventPayload event;
  auto& held = *event.mutable_order_stock_reserved();
  held.set_order_id(s.order_id);
  held.set_sku(reply.sku());
  held.set_quantity(reply.quantity());
  // Only an order still waiting for its stock and money can time out.
  held.set_timeout_due_at_us(s.status == status::placed ? reply.expires_at_us() : 0);
  return emit(std::move(event));
}

Decision expire(const OrderState& s, std::string reason) {
  auto move = moved_by_saga(s, std::move(reason));
  add(move, "order", status::placed, status::expired);
  add_payment_unwind(move, s);
  v1::EventPayload event;
  *event.mutable_order_expired() = std::move(move);
  return emit(std::move(event));
}

Decision record_payment(const OrderState& s, const v1::PaymentReply& reply, const DecideContext& ctx) {
  const std::string& outcome = reply.outcome();
  if (outcome != status::authorized && outcome != "declined" && outcome != status::requires_action) {
    return reject(codes::validation_failed, "unknown payment outcome '" + outcome + "'", "outcome");
  }
  // Cancelled or expired meanwhile: the saga voids whatever the provider holds for it.
  if (s.status != status::placed) return no_op();
  if (s.payment_status != status::not_paid && s.payment_status != status::requires_action) return no_op();
  if (outcome == status::requires_action) {
    if (s.payment_status == status::requires_action) return no_op();
    auto move = moved_by_saga(s, reply.detail().empty() ? "the payment needs the customer's action" : reply.detail());
    add(move, "payment", status::not_paid, status::requires_action);
    v1::EventPayload event;
    *event.mutable_order_payment_action_required() = std::move(move);
    return emit(std::move(event));
  }
  if (outcome == "declined") {
    auto move = moved_by_saga(s, "payment_declined");
    add(move, "order", status::placed, status::cancelled);
    add(move, "payment", s.payment_status, status::failed);
    v1::EventPayload event;
    *event.mutable_order_cancelled() = std::move(move);
    return emit(std::move(event));
  }
  if (!s.all_lines_held()) {
    return reject(codes::invalid_transition, "cannot confirm an order whose stock is not reserved yet");
  }
  // The holds run out at the time-out: money that arrives later must not confirm an order
  // whose stock may already be promised to someone else.
  if (s.timeout_due_at_us != 0 && ctx.now_us >= s.timeout_due_at_us) {
    auto move = moved_by_saga(s, "reservation_expired");
    add(move, "order", status::placed, status::expired);
    add(move, "payment", s.payment_status, status::voided);
    v1::EventPayload event;
    *event.mutable_order_expired() = std::move(move);
    return emit(std::move(event));
  }
  auto move = moved_by_saga(s, "stock reserved and payment authorised");
  add(move, "order", status::placed, status::confirmed);
  add(move, "payment", s.payment_status, status::authorized);
  *move.mutable_amount() = s.total;
  v1::EventPayload event;
  *event.mutable_order_confirmed() = std::move(move);
  return emit(std::move(event));
}

// `pay` on an order the saga runs: the customer completed what the provider asked for (3-D
// Secure and the like); the saga then asks the provider whether the payment went through.
Decision complete_payment_action(const OrderState& s, const v1::OrderAction& action) {
  if (s.status != status::placed) return reject(codes::invalid_transition, "cannot pay an order that is " + s.status);
  if (s.payment_status != status::requires_action) {
    return reject(codes::invalid_transition,
                  s.payment_status == status::not_paid
                      ? std::string("cannot pay an order whose payment is being authorised (no action is required)")
                      : "cannot pay an order whose payment is " + s.payment_status);
  }
  auto move = moved_by_saga(s, action.reason().empty() ? "customer completed the payment action" : action.reason());
  v1::EventPayload event;
  *event.mutable_order_payment_action_completed() = std::move(move);
  return emit(std::move(event));
}

// The order id a saga body names, for the stream check.
std::string_view body_order_id(const v1::Command& command) {
  switch (command.body_case()) {
    case C::kRecordStock: return command.record_stock().order_id();
    case C::kRecordPayment: return command.record_payment().order_id();
    case C::kExpireOrder: return command.expire_order().order_id();
    case C::kPayOrder: return command.pay_order().order_id();
    default: return {};
  }
}

}  // namespace

std::optional<Decision> decide_order_saga(const OrderState& s, const v1::Command& command, const DecideContext& ctx) {
  const auto kind = command.body_case();
  const bool saga_reply = kind == C::kRecordStock || kind == C::kRecordPayment || kind == C::kExpireOrder;
  if (!saga_reply && !(kind == C::kPayOrder && s.saga)) return std::nullopt;
  if (auto bad = check_body_id(body_order_id(command), s.order_id, "order_id")) return Decision{{}, std::move(bad)};
  if (s.version == 0) return reject(codes::not_found, "order '" + s.order_id + "' does not exist");
  switch (kind) {
    case C::kRecordStock: return record_stock(s, command.record_stock());
    case C::kRecordPayment: return record_payment(s, command.record_payment(), ctx);
    case C::kExpireOrder:
      // A time-out that finds the order confirmed, cancelled or expired has nothing to do.
      if (s.status != status::placed) return no_op();
      return expire(s, "reservation_expired");
    default: return complete_payment_action(s, command.pay_order());
  }
}

}  // namespace orderline::domain::internal

namespace orderline::domain {

bool OrderState::all_lines_held() const {
  return std::all_of(lines.begin(), lines.end(), [&](const v1::OrderLine& line) {
    return std::any_of(held.begin(), held.end(), [&](const auto& h) { return h.first == line.sku(); });
  });
}

}  // namespace orderline::domain
