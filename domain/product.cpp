// The product aggregate: catalogue entry, price, stock on hand and time-limited
// reservations. A reservation that cannot be met is an event (StockRejected), not a
// rejection: the order saga needs a durable answer either way.
#include <algorithm>
#include <string>

#include "domain/internal.h"
#include "domain/money.h"

namespace orderline::domain::internal {
namespace {

using C = v1::Command;

constexpr std::size_t kMaxSkuLength = 64;
constexpr std::size_t kMaxNameLength = 200;
constexpr std::int64_t kMaxStock = 1'000'000'000;

bool sku_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// SKUs end up in stream ids, URLs and keys: a small alphabet keeps them safe in all three.
std::optional<Rejection> check_sku(std::string_view sku) {
  if (sku.empty()) return Rejection{codes::validation_failed, "sku is required", "sku"};
  if (sku.size() > kMaxSkuLength) {
    return Rejection{codes::validation_failed, "sku is longer than " + std::to_string(kMaxSkuLength) + " characters",
                     "sku"};
  }
  if (!std::all_of(sku.begin(), sku.end(), sku_char)) {
    return Rejection{codes::validation_failed, "sku may only contain letters, digits, '-', '_' and '.'", "sku"};
  }
  return std::nullopt;
}

std::optional<Rejection> check_price(const v1::Money& price) {
  if (!is_known_currency(price.currency())) {
    return Rejection{codes::validation_failed, "unknown currency '" + price.currency() + "'", "price.currency"};
  }
  if (price.amount_minor() <= 0 || price.amount_minor() > kMaxAmountMinor) {
    return Rejection{codes::validation_failed, "price must be positive and at most " + std::to_string(kMaxAmountMinor),
                     "price.amount_minor"};
  }
  return std::nullopt;
}

std::optional<Rejection> check_quantity(std::int64_t quantity, std::int64_t min, std::string_view field) {
  if (quantity < min || quantity > kMaxStock) {
    return Rejection{codes::validation_failed,
                     std::string(field) + " must be between " + std::to_string(min) + " and " + std::to_string(kMaxStock),
                     std::string(field)};
  }
  return std::nullopt;
}

Decision rejected(std::optional<Rejection> why) { return Decision{{}, std::move(why)}; }

bool live(const Reservation& r, std::int64_t now_us) { return r.expires_at_us == 0 || r.expires_at_us > now_us; }

// Stock that can still be promised: on hand minus what live reservations hold. Expired
// reservations are ignored here rather than removed, since evolve has no clock.
std::int64_t available(const ProductState& s, std::int64_t now_us) {
  std::int64_t held = 0;
  for (const auto& r : s.reservations) {
    if (live(r, now_us)) held += r.quantity;
  }
  return std::max<std::int64_t>(0, s.on_hand - held);
}

const Reservation* reservation_of(const ProductState& s, std::string_view order_id) {
  auto it = std::find_if(s.reservations.begin(), s.reservations.end(),
                         [&](const Reservation& r) { return r.order_id == order_id; });
  return it == s.reservations.end() ? nullptr : &*it;
}

// ---- decide -------------------------------------------------------------------------------

Decision create(const ProductState& s, const v1::CreateProduct& body) {
  if (s.version > 0) return reject(codes::already_exists, "product '" + s.sku + "' already exists", "sku");
  if (auto bad = check_sku(body.sku())) return rejected(std::move(bad));
  if (auto bad = check_body_id(body.sku(), s.sku, "sku")) return rejected(std::move(bad));
  if (body.name().empty() || body.name().size() > kMaxNameLength) {
    return reject(codes::validation_failed, "name must have 1 to " + std::to_string(kMaxNameLength) + " characters",
                  "name");
  }
  if (auto bad = check_price(body.price())) return rejected(std::move(bad));
  if (auto bad = check_quantity(body.stock(), 0, "stock")) return rejected(std::move(bad));
  if (body.category().size() > kMaxNameLength || body.sub_category().size() > kMaxNameLength) {
    return reject(codes::validation_failed,
                  "category and sub_category have at most " + std::to_string(kMaxNameLength) + " characters",
                  body.category().size() > kMaxNameLength ? "category" : "sub_category");
  }
  v1::EventPayload event;
  auto& created = *event.mutable_product_created();
  created.set_sku(body.sku());
  created.set_name(body.name());
  *created.mutable_price() = body.price();
  created.set_stock(body.stock());
  created.set_category(body.category());
  created.set_sub_category(body.sub_category());
  return emit(std::move(event));
}

Decision change_price(const ProductState& s, const v1::ChangePrice& body) {
  if (auto bad = check_price(body.price())) return rejected(std::move(bad));
  // A product has one currency for life: orders priced before and after stay comparable.
  if (body.price().currency() != s.price.currency()) {
    return reject(codes::currency_mismatch,
                  "product is priced in " + s.price.currency() + ", not " + body.price().currency(),
                  "price.currency");
  }
  if (body.price() == s.price) return no_op();
  v1::EventPayload event;
  auto& changed = *event.mutable_product_price_changed();
  changed.set_sku(s.sku);
  *changed.mutable_from() = s.price;
  *changed.mutable_to() = body.price();
  return emit(std::move(event));
}

Decision restock(const ProductState& s, const v1::Restock& body) {
  if (auto bad = check_quantity(body.quantity(), 1, "quantity")) return rejected(std::move(bad));
  std::int64_t after = 0;
  if (__builtin_add_overflow(s.on_hand, body.quantity(), &after)) {
    return reject(codes::validation_failed, "stock on hand would overflow", "quantity");
  }
  v1::EventPayload event;
  auto& restocked = *event.mutable_product_restocked();
  restocked.set_sku(s.sku);
  restocked.set_quantity(body.quantity());
  restocked.set_on_hand_after(after);
  return emit(std::move(event));
}

Decision discontinue(const ProductState& s, const v1::Discontinue& body) {
  if (!s.active) return reject(codes::invalid_transition, "cannot discontinue a product that is discontinued");
  v1::EventPayload event;
  auto& gone = *event.mutable_product_discontinued();
  gone.set_sku(s.sku);
  *gone.add_transitions() = transition("product", status::active, status::discontinued);
  gone.set_reason(body.reason());
  return emit(std::move(event));
}

Decision reserve(const ProductState& s, const v1::ReserveStock& body, const DecideContext& ctx) {
  if (body.order_id().empty()) return reject(codes::validation_failed, "order_id is required", "order_id");
  if (auto bad = check_quantity(body.quantity(), 1, "quantity")) return rejected(std::move(bad));
  std::int64_t expires_at = 0;
  if (body.ttl_us() < 0 || __builtin_add_overflow(ctx.now_us, body.ttl_us(), &expires_at)) {
    return reject(codes::validation_failed, "ttl_us must be zero (no expiry) or a positive duration", "ttl_us");
  }
  // The saga retries with the same order: a live hold already answers it.
  if (const auto* held = reservation_of(s, body.order_id()); held && live(*held, ctx.now_us)) return no_op();
  const std::int64_t free = s.active ? available(s, ctx.now_us) : 0;
  v1::EventPayload event;
  if (free < body.quantity()) {
    auto& no = *event.mutable_stock_rejected();
    no.set_sku(s.sku);
    no.set_order_id(body.order_id());
    no.set_requested(body.quantity());
    no.set_available(free);
    return emit(std::move(event));
  }
  auto& yes = *event.mutable_stock_reserved();
  yes.set_sku(s.sku);
  yes.set_order_id(body.order_id());
  yes.set_quantity(body.quantity());
  yes.set_expires_at_us(body.ttl_us() == 0 ? 0 : expires_at);
  return emit(std::move(event));
}

Decision release(const ProductState& s, const v1::ReleaseStock& body) {
  if (body.order_id().empty()) return reject(codes::validation_failed, "order_id is required", "order_id");
  const auto* held = reservation_of(s, body.order_id());
  if (!held) return no_op();  // releasing twice, or after a rejection, is harmless
  v1::EventPayload event;
  auto& released = *event.mutable_stock_released();
  released.set_sku(s.sku);
  released.set_order_id(held->order_id);
  released.set_quantity(held->quantity);
  released.set_reason(body.reason());
  return emit(std::move(event));
}

// The saga makes an order's hold permanent once the order is confirmed. A hold that ran out
// meanwhile is renewed only if the stock is still free; otherwise the order hears "out of stock".
Decision commit(const ProductState& s, const v1::StockHold& body, const DecideContext& ctx) {
  if (body.order_id().empty()) return reject(codes::validation_failed, "order_id is required", "order_id");
  const auto* held = reservation_of(s, body.order_id());
  if (!held || held->expires_at_us == 0) return no_op();  // released, or committed already
  v1::EventPayload event;
  if (!live(*held, ctx.now_us) && available(s, ctx.now_us) < held->quantity) {
    auto& no = *event.mutable_stock_rejected();
    no.set_sku(s.sku);
    no.set_order_id(held->order_id);
    no.set_requested(held->quantity);
    no.set_available(available(s, ctx.now_us));
    return emit(std::move(event));
  }
  auto& committed = *event.mutable_stock_committed();
  committed.set_sku(s.sku);
  committed.set_order_id(held->order_id);
  committed.set_quantity(held->quantity);
  return emit(std::move(event));
}

// The goods of an order leave the warehouse: its hold becomes a deduction from stock on hand.
Decision ship_stock(const ProductState& s, const v1::StockHold& body) {
  if (body.order_id().empty()) return reject(codes::validation_failed, "order_id is required", "order_id");
  const auto* held = reservation_of(s, body.order_id());
  if (!held) return no_op();  // shipped already
  v1::EventPayload event;
  auto& shipped = *event.mutable_stock_shipped();
  shipped.set_sku(s.sku);
  shipped.set_order_id(held->order_id);
  shipped.set_quantity(held->quantity);
  shipped.set_on_hand_after(s.on_hand - held->quantity);
  return emit(std::move(event));
}

// The SKU named in a body, for the stream check; create_product checks its own.
std::string_view body_sku(const v1::Command& command) {
  switch (command.body_case()) {
    case C::kChangePrice: return command.change_price().sku();
    case C::kRestock: return command.restock().sku();
    case C::kDiscontinue: return command.discontinue().sku();
    case C::kReserveStock: return command.reserve_stock().sku();
    case C::kReleaseStock: return command.release_stock().sku();
    case C::kCommitStock: return command.commit_stock().sku();
    case C::kShipStock: return command.ship_stock().sku();
    default: return {};
  }
}

Decision update(const ProductState& s, const v1::Command& command, const DecideContext& ctx) {
  if (auto bad = check_body_id(body_sku(command), s.sku, "sku")) return rejected(std::move(bad));
  if (s.version == 0) return reject(codes::not_found, "product '" + s.sku + "' does not exist");
  switch (command.body_case()) {
    case C::kChangePrice: return change_price(s, command.change_price());
    case C::kRestock: return restock(s, command.restock());
    case C::kDiscontinue: return discontinue(s, command.discontinue());
    case C::kReserveStock: return reserve(s, command.reserve_stock(), ctx);
    case C::kReleaseStock: return release(s, command.release_stock());
    case C::kCommitStock: return commit(s, command.commit_stock(), ctx);
    case C::kShipStock: return ship_stock(s, command.ship_stock());
    default: return wrong_aggregate(command, "product");
  }
}

void remove_reservation(ProductState& s, std::string_view order_id) {
  std::erase_if(s.reservations, [&](const Reservation& r) { return r.order_id == order_id; });
}

}  // namespace

Decision decide_product(const ProductState& state, const v1::Command& command, const DecideContext& ctx) {
  switch (command.body_case()) {
    case C::kCreateProduct: return create(state, command.create_product());
    case C::kChangePrice:
    case C::kRestock:
    case C::kDiscontinue:
    case C::kReserveStock:
    case C::kReleaseStock:
    case C::kCommitStock:
    case C::kShipStock: return update(state, command, ctx);
    default: return wrong_aggregate(command, "product");
  }
}

void evolve_product(ProductState& state, const v1::EventPayload& event) {
  using E = v1::EventPayload;
  switch (event.event_case()) {
    case E::kProductCreated: {
      const auto& created = event.product_created();
      state.sku = created.sku();
      state.name = created.name();
      state.price = created.price();
      state.on_hand = created.stock();
      state.active = true;
      return;
    }
    case E::kProductPriceChanged: state.price = event.product_price_changed().to(); return;
    case E::kProductRestocked: state.on_hand += event.product_restocked().quantity(); return;
    case E::kProductDiscontinued: state.active = false; return;
    case E::kStockReserved: {
      const auto& reserved = event.stock_reserved();
      // A new hold for an order replaces its expired one rather than stacking on it.
      remove_reservation(state, reserved.order_id());
      state.reservations.push_back({reserved.order_id(), reserved.quantity(), reserved.expires_at_us()});
      return;
    }
    case E::kStockReleased: remove_reservation(state, event.stock_released().order_id()); return;
    case E::kStockCommitted:
      for (auto& r : state.reservations) {
        if (r.order_id == event.stock_committed().order_id()) r.expires_at_us = 0;  // held until shipped
      }
      return;
    case E::kStockShipped:
      state.on_hand = event.stock_shipped().on_hand_after();
      remove_reservation(state, event.stock_shipped().order_id());
      return;
    default: return;  // StockRejected changes nothing: it only records the answer
  }
}

}  // namespace orderline::domain::internal
