// ImportHistoricalOrder (issue 9): an order from an earlier system's history, recorded with
// the prices it was sold at and taken straight to its final state at its own dates:
//
//   OrderPlaced (imported, lines and prices as sold)  at placed_at     placed, not_paid, unfulfilled
//   OrderPaid   (payment captured then)               at placed_at  -> confirmed, captured
//   OrderShipped                                      at shipped_at -> shipped
//   OrderDelivered                                    at delivered_at -> completed, delivered
//
// No saga runs it, no payment provider is asked and no stock moves: the goods left years ago.
// The moves after placement are decided by the ordinary pay/ship/deliver rules, so an
// imported order ends exactly where a live one would.
#include "domain/internal.h"
#include "domain/money.h"

namespace orderline::domain::internal {
namespace {

constexpr std::size_t kMaxLineNameLength = 200;

// The import's ids and lines as a PlaceOrder, so the shape checks of a placed order apply unchanged.
v1::PlaceOrder as_place_order(const v1::ImportHistoricalOrder& body) {
  v1::PlaceOrder order;
  order.set_order_id(body.order_id());
  order.set_customer_id(body.customer_id());
  order.set_currency(body.currency());
  for (const auto& line : body.lines()) {
    auto* out = order.add_lines();
    out->set_sku(line.sku());
    out->set_quantity(line.quantity());
  }
  return order;
}

// History happened in order, and before now.
std::optional<Rejection> check_dates(const v1::ImportHistoricalOrder& body, std::int64_t now_us) {
  if (body.placed_at_us() <= 0) return Rejection{codes::validation_failed, "placed_at is required", "placed_at"};
  if (body.shipped_at_us() < body.placed_at_us()) {
    return Rejection{codes::validation_failed, "shipped_at is before placed_at", "shipped_at"};
  }
  if (body.delivered_at_us() < body.shipped_at_us()) {
    return Rejection{codes::validation_failed, "delivered_at is before shipped_at", "delivered_at"};
  }
  if (body.delivered_at_us() > now_us) {
    return Rejection{codes::validation_failed, "an imported order cannot end in the future", "delivered_at"};
  }
  return std::nullopt;
}

// The OrderPlaced of the import: every line priced as it was sold, each SKU one the catalogue
// knows (discontinued since is fine: it was sold then).
Decision place_imported(const OrderState& state, const v1::ImportHistoricalOrder& body, const v1::PlaceOrder& shape,
                        const DecideContext& ctx) {
  v1::EventPayload event = new_order_placed(state, shape);
  auto& placed = *event.mutable_order_placed();
  placed.set_imported(true);
  v1::Money total = make_money(0, body.currency());
  for (int i = 0; i < body.lines_size(); ++i) {
    const auto& line = body.lines(i);
    auto snapshot = ctx.catalogue ? ctx.catalogue(line.sku()) : std::nullopt;
    if (!snapshot) return reject(codes::unknown_sku, "unknown sku '" + line.sku() + "'", line_field(i, "sku"));
    const auto& price = line.unit_price();
    if (price.currency() != body.currency()) {
      return reject(codes::currency_mismatch,
                    "line " + std::to_string(i) + " is priced in '" + price.currency() + "', the order is in " +
                        body.currency(),
                    line_field(i, "unit_price.currency"));
    }
    if (price.amount_minor() < 0 || price.amount_minor() > kMaxAmountMinor) {
      return reject(codes::validation_failed,
                    "unit_price must be between 0 and " + std::to_string(kMaxAmountMinor),
                    line_field(i, "unit_price.amount_minor"));
    }
    if (line.name().size() > kMaxLineNameLength) {
      return reject(codes::validation_failed,
                    "name has at most " + std::to_string(kMaxLineNameLength) + " characters", line_field(i, "name"));
    }
    auto line_total = multiply(price, line.quantity());
    auto sum = line_total ? add(total, *line_total) : std::nullopt;
    if (!sum) return reject(codes::validation_failed, "order total exceeds the largest amount", "lines");
    total = *sum;
    auto* out = placed.add_lines();
    *out = line;
    // The name it was sold under; the catalogue's when the history does not say.
    if (out->name().empty()) out->set_name(snapshot->name);
  }
  *placed.mutable_total() = total;
  add_placement_transitions(placed);
  return emit(std::move(event));
}

}  // namespace

Decision import_historical_order(const OrderState& state, const v1::ImportHistoricalOrder& body,
                                 const DecideContext& ctx) {
  if (state.version > 0) return reject(codes::already_exists, "order '" + state.order_id + "' already exists");
  const v1::PlaceOrder shape = as_place_order(body);
  if (auto bad = check_order_shape(state, shape)) return Decision{{}, std::move(bad)};
  if (auto bad = check_dates(body, ctx.now_us)) return Decision{{}, std::move(bad)};
  if (ctx.customer_exists && !ctx.customer_exists(body.customer_id())) {
    return reject(codes::unknown_customer, "unknown customer '" + body.customer_id() + "'", "customer_id");
  }
  Decision out = place_imported(state, body, shape, ctx);
  if (out.rejection) return out;
  out.occurred_at_us.push_back(body.placed_at_us());

  // The later moves, decided by the ordinary rules on the state the earlier ones leave.
  OrderState working = state;
  evolve_order(working, out.events.front());
  working.version = state.version + 1;
  const std::string reason = body.source().empty() ? std::string("imported") : "imported from " + body.source();
  auto step = [&](v1::Command move, std::int64_t at_us) -> std::optional<Rejection> {
    Decision next = decide_order(working, move, ctx);
    if (next.rejection) return next.rejection;
    for (auto& event : next.events) {
      evolve_order(working, event);
      ++working.version;
      out.events.push_back(std::move(event));
      out.occurred_at_us.push_back(at_us);
    }
    return std::nullopt;
  };
  v1::Command pay, ship, deliver;
  pay.mutable_pay_order()->set_reason(reason);
  ship.mutable_ship_order()->set_reason(reason);
  deliver.mutable_deliver_order()->set_reason(reason);
  for (auto& [move, at_us] : {std::pair{pay, body.placed_at_us()}, std::pair{ship, body.shipped_at_us()},
                              std::pair{deliver, body.delivered_at_us()}}) {
    if (auto bad = step(move, at_us)) return Decision{{}, std::move(bad)};
  }
  return out;
}

}  // namespace orderline::domain::internal
