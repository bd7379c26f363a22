#include "commands/saga/saga_reactions.h"

namespace orderline::commands::saga {
namespace {

using E = v1::EventPayload;

constexpr const char* kActor = "saga";

// Command ids and idempotency keys: "saga/<order>/<step>[/<sku>]/v<version>", where version
// is the triggering event's stream version (the attempt).
std::string step_id(const std::string& order_id, std::string_view step, std::string_view sku, std::uint64_t version) {
  std::string id = "saga/" + order_id + "/" + std::string(step);
  if (!sku.empty()) id += "/" + std::string(sku);
  return id + "/v" + std::to_string(version);
}

v1::Command base(const std::string& command_id, const std::string& stream_id, const std::string& correlation_id) {
  v1::Command command;
  command.set_command_id(command_id);
  command.set_stream_id(stream_id);
  command.set_expected_version(-1);
  command.set_actor(kActor);
  command.set_correlation_id(correlation_id);
  // The id is the whole request: the same id always means the same command.
  command.set_request_hash(command_id);
  return command;
}

SagaAction send(v1::Command command) {
  SagaAction action;
  action.kind = SagaAction::Kind::command;
  action.command = std::move(command);
  return action;
}

SagaAction pay(const v1::EventEnvelope& env, PaymentOp op, const std::string& key, const domain::OrderState& order,
               std::string reply_id = {}) {
  SagaAction action;
  action.correlation_id = env.correlation_id();
  action.kind = SagaAction::Kind::payment;
  action.payment = PaymentRequest{op, key, order.order_id, order.total};
  action.reply_command_id = std::move(reply_id);
  action.order_id = order.order_id;
  return action;
}

SagaAction timer(SagaAction::Kind kind, const std::string& order_id, std::int64_t due_us = 0) {
  SagaAction action;
  action.kind = kind;
  action.order_id = order_id;
  action.due_us = due_us;
  return action;
}

// The payment transition an event names, "" if none.
std::string payment_to(const v1::OrderMoved& move) {
  for (const auto& t : move.transitions()) {
    if (t.machine() == "payment") return t.to();
  }
  return "";
}

void on_placed(const v1::EventEnvelope& env, const v1::OrderPlaced& placed, const SagaPolicy& policy,
               std::vector<SagaAction>& out) {
  const std::string order_id = placed.order_id();
  for (const auto& line : placed.lines()) {
    auto command = base(step_id(order_id, "reserve", line.sku(), env.stream_version()),
                        domain::product_stream(line.sku()), env.correlation_id());
    auto* body = command.mutable_reserve_stock();
    body->set_sku(line.sku());
    body->set_order_id(order_id);
    body->set_quantity(line.quantity());
    body->set_ttl_us(policy.reservation_ttl_us);
    out.push_back(send(std::move(command)));
  }
}

// A product's answer goes back to the order as a command: the order decides what it means.
void on_stock_answer(const v1::EventEnvelope& env, const std::string& order_id, const std::string& sku, bool reserved,
                     std::int64_t quantity, std::int64_t expires_at_us, std::int64_t available,
                     std::vector<SagaAction>& out) {
  if (order_id.empty()) return;
  auto command = base(step_id(order_id, "stock", sku, env.stream_version()), domain::order_stream(order_id),
                      env.correlation_id());
  auto* body = command.mutable_record_stock();
  body->set_order_id(order_id);
  body->set_sku(sku);
  body->set_reserved(reserved);
  body->set_quantity(quantity);
  body->set_expires_at_us(expires_at_us);
  body->set_available(available);
  out.push_back(send(std::move(command)));
}

void release_lines(const v1::EventEnvelope& env, const domain::OrderState& order, std::string_view only_sku,
                   std::vector<SagaAction>& out) {
  for (const auto& line : order.lines) {
    if (!only_sku.empty() && line.sku() != only_sku) continue;
    auto command = base(step_id(order.order_id, "release", line.sku(), env.stream_version()),
                        domain::product_stream(line.sku()), env.correlation_id());
    auto* body = command.mutable_release_stock();
    body->set_sku(line.sku());
    body->set_order_id(order.order_id);
    body->set_reason(order.status);
    out.push_back(send(std::move(command)));
  }
}

void hold_per_line(const v1::EventEnvelope& env, const domain::OrderState& order, std::string_view step, bool ship,
                   std::vector<SagaAction>& out) {
  for (const auto& line : order.lines) {
    auto command = base(step_id(order.order_id, step, line.sku(), env.stream_version()),
                        domain::product_stream(line.sku()), env.correlation_id());
    auto* body = ship ? command.mutable_ship_stock() : command.mutable_commit_stock();
    body->set_sku(line.sku());
    body->set_order_id(order.order_id);
    out.push_back(send(std::move(command)));
  }
}

void restock_lines(const v1::EventEnvelope& env, const domain::OrderState& order, std::vector<SagaAction>& out) {
  for (const auto& line : order.lines) {
    auto command = base(step_id(order.order_id, "restock", line.sku(), env.stream_version()),
                        domain::product_stream(line.sku()), env.correlation_id());
    auto* body = command.mutable_restock();
    body->set_sku(line.sku());
    body->set_quantity(line.quantity());
    out.push_back(send(std::move(command)));
  }
}

void on_order_event(const v1::EventEnvelope& env, const v1::EventPayload& event, const domain::OrderState& order,
                    std::vector<SagaAction>& out) {
  const auto version = env.stream_version();
  const std::string& id = order.order_id;
  switch (event.event_case()) {
    case E::kOrderStockReserved: {
      const auto& held = event.order_stock_reserved();
      if (order.status != domain::status::placed) {
        // The hold arrived after the order died: give it back.
        release_lines(env, order, held.sku(), out);
        return;
      }
      if (held.timeout_due_at_us() != 0) out.push_back(timer(SagaAction::Kind::arm, id, held.timeout_due_at_us()));
      if (order.all_lines_held() && order.payment_status == domain::status::not_paid) {
        const auto key = step_id(id, "authorize", "", version);
        out.push_back(pay(env, PaymentOp::authorize, key, order, step_id(id, "payment", "", version)));
      }
      return;
    }
    case E::kOrderPaymentActionCompleted: {
      const auto key = step_id(id, "complete", "", version);
      out.push_back(pay(env, PaymentOp::complete_action, key, order, step_id(id, "payment", "", version)));
      return;
    }
    case E::kOrderConfirmed:
      out.push_back(timer(SagaAction::Kind::disarm, id));
      hold_per_line(env, order, "commit", false, out);
      return;
    case E::kOrderCancelled:
    case E::kOrderExpired: {
      out.push_back(timer(SagaAction::Kind::disarm, id));
      release_lines(env, order, {}, out);
      const auto& move = event.event_case() == E::kOrderCancelled ? event.order_cancelled() : event.order_expired();
      if (payment_to(move) == domain::status::refunded) {
        out.push_back(pay(env, PaymentOp::refund, step_id(id, "refund", "", version), order));
      } else if (order.payment_status != domain::status::failed) {
        // Also when nothing was authorised yet: an authorisation still in flight is then
        // refused by the provider instead of holding the customer's money.
        out.push_back(pay(env, PaymentOp::void_hold, step_id(id, "void", "", version), order));
      }
      return;
    }
    case E::kOrderShipped:
      if (payment_to(event.order_shipped()) == domain::status::captured) {
        out.push_back(pay(env, PaymentOp::capture, step_id(id, "capture", "", version), order));
      }
      hold_per_line(env, order, "ship", true, out);
      return;
    case E::kOrderReturned:
      if (payment_to(event.order_returned()) == domain::status::refunded) {
        out.push_back(pay(env, PaymentOp::refund, step_id(id, "refund", "", version), order));
      }
      restock_lines(env, order, out);
      return;
    default: return;
  }
}

}  // namespace

bool needs_order(const v1::EventPayload& event) {
  switch (event.event_case()) {
    case E::kOrderStockReserved:
    case E::kOrderPaymentActionCompleted:
    case E::kOrderConfirmed:
    case E::kOrderCancelled:
    case E::kOrderExpired:
    case E::kOrderShipped:
    case E::kOrderReturned: return true;
    default: return false;
  }
}

std::vector<SagaAction> react(const v1::EventEnvelope& envelope, const v1::EventPayload& event,
                              const domain::OrderState* order, const SagaPolicy& policy) {
  std::vector<SagaAction> out;
  switch (event.event_case()) {
    case E::kOrderPlaced:
      if (event.order_placed().saga()) on_placed(envelope, event.order_placed(), policy, out);
      break;
    case E::kStockReserved: {
      const auto& r = event.stock_reserved();
      on_stock_answer(envelope, r.order_id(), r.sku(), true, r.quantity(), r.expires_at_us(), 0, out);
      break;
    }
    case E::kStockRejected: {
      const auto& r = event.stock_rejected();
      on_stock_answer(envelope, r.order_id(), r.sku(), false, r.requested(), 0, r.available(), out);
      break;
    }
    default:
      if (order && order->saga && needs_order(event)) on_order_event(envelope, event, *order, out);
      break;
  }
  return out;
}

v1::Command payment_reply(const std::string& command_id, const std::string& order_id, const PaymentResult& result,
                          const std::string& correlation_id) {
  auto command = base(command_id, domain::order_stream(order_id), correlation_id);
  auto* body = command.mutable_record_payment();
  body->set_order_id(order_id);
  body->set_outcome(result.outcome == "requires_action" || result.outcome == "authorized" ? result.outcome
                                                                                          : std::string("declined"));
  body->set_reference(result.reference);
  body->set_detail(result.detail);
  return command;
}

v1::Command expire_command(const std::string& order_id, std::int64_t due_us) {
  auto command = base("saga/" + order_id + "/expire/" + std::to_string(due_us), domain::order_stream(order_id), "");
  auto* body = command.mutable_expire_order();
  body->set_order_id(order_id);
  body->set_due_at_us(due_us);
  body->set_kind("reservation");
  return command;
}

}  // namespace orderline::commands::saga
