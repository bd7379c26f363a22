// The order aggregate: three state machines (order, payment, fulfillment) moved together
// by one event per command. Every move names its transitions so the read side never has to
// re-derive them (DESIGN "Domain").
#include <set>
#include <string>

#include "domain/internal.h"
#include "domain/money.h"

namespace orderline::domain::internal {
namespace {

using C = v1::Command;

}  // namespace

std::string line_field(int i, std::string_view leaf) {
  return "lines[" + std::to_string(i) + "]." + std::string(leaf);
}

// ---- place_order --------------------------------------------------------------------------

v1::EventPayload new_order_placed(const OrderState& state, const v1::PlaceOrder& body) {
  v1::EventPayload event;
  auto& placed = *event.mutable_order_placed();
  placed.set_order_id(body.order_id().empty() ? state.order_id : body.order_id());
  placed.set_customer_id(body.customer_id());
  placed.set_currency(body.currency());
  return event;
}

void add_placement_transitions(v1::OrderPlaced& placed) {
  *placed.add_transitions() = transition("order", "", status::placed);
  *placed.add_transitions() = transition("payment", "", status::not_paid);
  *placed.add_transitions() = transition("fulfillment", "", status::unfulfilled);
}

// The checks that need nothing but the command itself, so a malformed command is always
// answered the same way, whatever the catalogue says today.
std::optional<Rejection> check_order_shape(const OrderState& state, const v1::PlaceOrder& body) {
  if (auto bad = check_body_id(body.order_id(), state.order_id, "order_id")) return bad;
  if (body.customer_id().empty()) {
    return Rejection{codes::validation_failed, "customer_id is required", "customer_id"};
  }
  if (!is_known_currency(body.currency())) {
    return Rejection{codes::validation_failed, "unknown currency '" + body.currency() + "'", "currency"};
  }
  if (body.lines().empty()) {
    return Rejection{codes::validation_failed, "an order needs at least one line", "lines"};
  }
  if (body.lines_size() > kMaxLines) {
    return Rejection{codes::validation_failed, "an order has at most " + std::to_string(kMaxLines) + " lines",
                     "lines"};
  }
  std::set<std::string_view> seen;
  for (int i = 0; i < body.lines_size(); ++i) {
    const auto& line = body.lines(i);
    if (line.sku().empty()) return Rejection{codes::validation_failed, "sku is required", line_field(i, "sku")};
    if (line.quantity() < kMinQuantity || line.quantity() > kMaxQuantity) {
      return Rejection{codes::validation_failed,
                       "quantity must be between " + std::to_string(kMinQuantity) + " and " +
                           std::to_string(kMaxQuantity),
                       line_field(i, "quantity")};
    }
    // One line per SKU keeps stock reservation and returns unambiguous.
    if (!seen.insert(line.sku()).second) {
      return Rejection{codes::validation_failed, "sku '" + line.sku() + "' appears on more than one line",
                       line_field(i, "sku")};
    }
  }
  return std::nullopt;
}

namespace {

// Prices every line from the catalogue snapshot and adds the total; any line the catalogue
// cannot sell rejects the whole order.
Decision price_order(const OrderState& state, const v1::PlaceOrder& body, const DecideContext& ctx) {
  v1::EventPayload event = new_order_placed(state, body);
  auto& placed = *event.mutable_order_placed();
  placed.set_saga(ctx.saga);
  v1::Money total = make_money(0, body.currency());
  for (int i = 0; i < body.lines_size(); ++i) {
    const auto& line = body.lines(i);
    // Without a catalogue nothing can be priced: every SKU is unknown.
    auto snapshot = ctx.catalogue ? ctx.catalogue(line.sku()) : std::nullopt;
    if (!snapshot) return reject(codes::unknown_sku, "unknown sku '" + line.sku() + "'", line_field(i, "sku"));
    if (!snapshot->active) {
      return reject(codes::product_inactive, "product '" + line.sku() + "' is discontinued", line_field(i, "sku"));
    }
    if (snapshot->price.currency() != body.currency()) {
      return reject(codes::currency_mismatch,
                    "product '" + line.sku() + "' is priced in " + snapshot->price.currency() + ", the order is in " +
                        body.currency(),
                    "currency");
    }
    auto line_total = multiply(snapshot->price, line.quantity());
    auto sum = line_total ? add(total, *line_total) : std::nullopt;
    if (!sum) return reject(codes::validation_failed, "order total exceeds the largest amount", "lines");
    total = *sum;
    auto* out = placed.add_lines();
    out->set_sku(line.sku());
    out->set_quantity(line.quantity());
    *out->mutable_unit_price() = snapshot->price;
    out->set_name(snapshot->name);
  }
  *placed.mutable_total() = total;
  add_placement_transitions(placed);
  return emit(std::move(event));
}

Decision place_order(const OrderState& state, const v1::PlaceOrder& body, const DecideContext& ctx) {
  if (state.version > 0) return reject(codes::already_exists, "order '" + state.order_id + "' already exists");
  if (auto bad = check_order_shape(state, body)) return Decision{{}, std::move(bad)};
  if (ctx.customer_exists && !ctx.customer_exists(body.customer_id())) {
    return reject(codes::unknown_customer, "unknown customer '" + body.customer_id() + "'", "customer_id");
  }
  return price_order(state, body, ctx);
}

// ---- moves after placement ----------------------------------------------------------------

// Names the machine that forbids the move, so the client sees why ("cannot ship an order
// whose fulfillment is shipped" rather than just "confirmed").
Decision cannot(std::string_view verb, std::string_view machine, std::string_view status) {
  std::string detail = "cannot " + std::string(verb) + " an order ";
  if (machine == "order") {
    detail += "that is " + std::string(status);
  } else {
    detail += "whose " + std::string(machine) + " is " + std::string(status);
  }
  return reject(codes::invalid_transition, std::move(detail));
}

// Starts an OrderMoved event; the caller adds the transitions.
v1::OrderMoved moved(const OrderState& state, const v1::OrderAction& action) {
  v1::OrderMoved move;
  move.set_order_id(state.order_id);
  move.set_reason(action.reason());
  return move;
}

void add_transition(v1::OrderMoved& move, std::string_view machine, std::string_view from, std::string_view to) {
  *move.add_transitions() = transition(machine, from, to);
}

Decision pay(const OrderState& s, const v1::OrderAction& action) {
  if (s.status != status::placed) return cannot("pay", "order", s.status);
  if (s.payment_status != status::not_paid && s.payment_status != status::requires_action) {
    return cannot("pay", "payment", s.payment_status);
  }
  auto move = moved(s, action);
  add_transition(move, "order", s.status, status::confirmed);
  add_transition(move, "payment", s.payment_status, status::captured);
  *move.mutable_amount() = s.total;
  v1::EventPayload event;
  *event.mutable_order_paid() = std::move(move);
  return emit(std::move(event));
}

Decision ship(const OrderState& s, const v1::OrderAction& action) {
  if (s.status != status::confirmed) return cannot("ship", "order", s.status);
  if (s.fulfillment_status != status::unfulfilled) return cannot("ship", "fulfillment", s.fulfillment_status);
  auto move = moved(s, action);
  // Shipping is when an authorised payment is finally taken (DESIGN route table).
  if (s.payment_status == status::authorized) {
    add_transition(move, "payment", status::authorized, status::captured);
    *move.mutable_amount() = s.total;
  }
  add_transition(move, "fulfillment", status::unfulfilled, status::shipped);
  v1::EventPayload event;
  *event.mutable_order_shipped() = std::move(move);
  return emit(std::move(event));
}

Decision deliver(const OrderState& s, const v1::OrderAction& action) {
  if (s.status != status::confirmed) return cannot("deliver", "order", s.status);
  if (s.fulfillment_status != status::shipped) return cannot("deliver", "fulfillment", s.fulfillment_status);
  auto move = moved(s, action);
  add_transition(move, "order", status::confirmed, status::completed);
  add_transition(move, "fulfillment", status::shipped, status::delivered);
  v1::EventPayload event;
  *event.mutable_order_delivered() = std::move(move);
  return emit(std::move(event));
}

Decision cancel(const OrderState& s, const v1::OrderAction& action) {
  if (s.status != status::placed && s.status != status::confirmed) return cannot("cancel", "order", s.status);
  // Once goods have left, the way back is a return, not a cancellation.
  if (s.fulfillment_status != status::unfulfilled) return cannot("cancel", "fulfillment", s.fulfillment_status);
  auto move = moved(s, action);
  add_transition(move, "order", s.status, status::cancelled);
  add_payment_unwind(move, s);
  v1::EventPayload event;
  *event.mutable_order_cancelled() = std::move(move);
  return emit(std::move(event));
}

Decision request_return(const OrderState& s, const v1::OrderAction& action) {
  if (action.return_id().empty()) return reject(codes::validation_failed, "return_id is required", "return_id");
  if (s.status != status::completed) return cannot("return", "order", s.status);
  auto move = moved(s, action);
  move.set_return_id(action.return_id());
  add_transition(move, "order", status::completed, status::return_requested);
  v1::EventPayload event;
  *event.mutable_order_return_requested() = std::move(move);
  return emit(std::move(event));
}

Decision receive_return(const OrderState& s, const v1::OrderAction& action) {
  if (action.return_id().empty()) return reject(codes::validation_failed, "return_id is required", "return_id");
  if (s.status != status::return_requested) return cannot("receive a return for", "order", s.status);
  if (action.return_id() != s.return_id) {
    return reject(codes::not_found, "order has no return '" + action.return_id() + "'", "return_id");
  }
  auto move = moved(s, action);
  move.set_return_id(s.return_id);
  add_transition(move, "order", status::return_requested, status::returned);
  if (s.payment_status == status::captured) {
    add_transition(move, "payment", status::captured, status::refunded);
    *move.mutable_amount() = s.total;
  }
  v1::EventPayload event;
  *event.mutable_order_returned() = std::move(move);
  return emit(std::move(event));
}

const v1::OrderAction* action_of(const v1::Command& command) {
  switch (command.body_case()) {
    case C::kPayOrder: return &command.pay_order();
    case C::kShipOrder: return &command.ship_order();
    case C::kDeliverOrder: return &command.deliver_order();
    case C::kCancelOrder: return &command.cancel_order();
    case C::kRequestReturn: return &command.request_return();
    case C::kReceiveReturn: return &command.receive_return();
    default: return nullptr;
  }
}

Decision move_order(const OrderState& s, const v1::Command& command, const v1::OrderAction& action) {
  if (auto bad = check_body_id(action.order_id(), s.order_id, "order_id")) return Decision{{}, std::move(bad)};
  if (s.version == 0) return reject(codes::not_found, "order '" + s.order_id + "' does not exist");
  switch (command.body_case()) {
    case C::kPayOrder: return pay(s, action);
    case C::kShipOrder: return ship(s, action);
    case C::kDeliverOrder: return deliver(s, action);
    case C::kCancelOrder: return cancel(s, action);
    case C::kRequestReturn: return request_return(s, action);
    case C::kReceiveReturn: return receive_return(s, action);
    default: return wrong_aggregate(command, "order");
  }
}

// ---- evolve -------------------------------------------------------------------------------

void apply(OrderState& s, const google::protobuf::RepeatedPtrField<v1::Transition>& transitions) {
  for (const auto& t : transitions) {
    if (t.machine() == "order") s.status = t.to();
    else if (t.machine() == "payment") s.payment_status = t.to();
    else if (t.machine() == "fulfillment") s.fulfillment_status = t.to();
  }
}

const v1::OrderMoved* moved_of(const v1::EventPayload& event) {
  using E = v1::EventPayload;
  switch (event.event_case()) {
    case E::kOrderPaid: return &event.order_paid();
    case E::kOrderShipped: return &event.order_shipped();
    case E::kOrderDelivered: return &event.order_delivered();
    case E::kOrderCancelled: return &event.order_cancelled();
    case E::kOrderReturnRequested: return &event.order_return_requested();
    case E::kOrderReturned: return &event.order_returned();
    case E::kOrderConfirmed: return &event.order_confirmed();
    case E::kOrderExpired: return &event.order_expired();
    case E::kOrderPaymentActionRequired: return &event.order_payment_action_required();
    case E::kOrderPaymentActionCompleted: return &event.order_payment_action_completed();
    default: return nullptr;
  }
}

}  // namespace

void add_payment_unwind(v1::OrderMoved& move, const OrderState& s) {
  // Taken money goes back, a hold is released, nothing to do when nothing was paid.
  if (s.payment_status == status::captured) {
    add_transition(move, "payment", status::captured, status::refunded);
    *move.mutable_amount() = s.total;
  } else if (s.payment_status == status::authorized || s.payment_status == status::requires_action) {
    add_transition(move, "payment", s.payment_status, status::voided);
  }
}

Decision decide_order(const OrderState& state, const v1::Command& command, const DecideContext& ctx) {
  // A customer acts only on their own orders; another customer's order is answered exactly as
  // a missing one, so ids cannot be probed (issue 6).
  const auto& owner = command.owner_customer_id();
  if (!owner.empty()) {
    if (command.body_case() == C::kPlaceOrder) {
      if (command.place_order().customer_id() != owner) {
        return reject(codes::validation_failed, "customer_id must be the caller's own", "customer_id");
      }
    } else if (state.version == 0 || state.customer_id != owner) {
      return reject(codes::not_found, "order '" + state.order_id + "' does not exist");
    }
  }
  if (command.body_case() == C::kPlaceOrder) return place_order(state, command.place_order(), ctx);
  if (command.body_case() == C::kImportHistoricalOrder) {
    return import_historical_order(state, command.import_historical_order(), ctx);
  }
  if (auto saga = decide_order_saga(state, command, ctx)) return std::move(*saga);
  if (const auto* action = action_of(command)) return move_order(state, command, *action);
  return wrong_aggregate(command, "order");
}

void evolve_order(OrderState& state, const v1::EventPayload& event) {
  if (event.event_case() == v1::EventPayload::kOrderPlaced) {
    const auto& placed = event.order_placed();
    if (!placed.order_id().empty()) state.order_id = placed.order_id();
    state.customer_id = placed.customer_id();
    state.currency = placed.currency();
    state.lines.assign(placed.lines().begin(), placed.lines().end());
    state.total = placed.total();
    state.saga = placed.saga();
    apply(state, placed.transitions());
    return;
  }
  if (event.event_case() == v1::EventPayload::kOrderStockReserved) {
    const auto& held = event.order_stock_reserved();
    state.held.emplace_back(held.sku(), held.timeout_due_at_us());
    if (held.timeout_due_at_us() != 0 &&
        (state.timeout_due_at_us == 0 || held.timeout_due_at_us() < state.timeout_due_at_us)) {
      state.timeout_due_at_us = held.timeout_due_at_us();
    }
    return;
  }
  if (const auto* move = moved_of(event)) {
    if (!move->return_id().empty()) state.return_id = move->return_id();
    apply(state, move->transitions());
  }
}

}  // namespace orderline::domain::internal
