#pragma once
// Helpers shared by the aggregates of this folder; not part of the domain's interface.
// Each aggregate exposes one decide and one evolve function; aggregate.cpp dispatches on
// the stream's state and owns the version bump, so the aggregates never have to.
#include <optional>
#include <string>
#include <string_view>

#include "domain/aggregate.h"

namespace orderline::domain::internal {

Decision reject(std::string code, std::string detail, std::string field = {});
Decision emit(v1::EventPayload event);
// Accepted with nothing to record: the command asked for what is already true.
Decision no_op();

v1::Transition transition(std::string_view machine, std::string_view from, std::string_view to);

// The part of a stream id after its aggregate prefix ("order-42" -> "42").
std::string_view stream_key(std::string_view stream_id, std::string_view prefix);

// The name of a command's body ("ship_order"), for rejection details.
std::string command_name(const v1::Command& command);
// A command the aggregate has no handler for: the caller sent it to the wrong stream.
Decision wrong_aggregate(const v1::Command& command, std::string_view aggregate);

// An id carried in a command body must name the stream it was sent to (empty: implied by
// the stream). Returns a rejection when it names another one.
std::optional<Rejection> check_body_id(std::string_view body_id, std::string_view state_id,
                                       std::string_view field);

// Field path of an order line's field in the API ("lines[2].quantity"), for problem+json
// "errors[].field".
std::string line_field(int i, std::string_view leaf);

// An OrderPlaced naming the order, its customer and currency; the caller adds the rest.
v1::EventPayload new_order_placed(const OrderState& state, const v1::PlaceOrder& body);

// The three machines' first moves ("" -> placed, not_paid, unfulfilled), for OrderPlaced.
void add_placement_transitions(v1::OrderPlaced& placed);

// The checks of a new order that need nothing but the command (ids, currency, line count,
// quantities, one line per SKU): placed and imported orders share them (order.cpp).
std::optional<Rejection> check_order_shape(const OrderState& state, const v1::PlaceOrder& body);

// ImportHistoricalOrder: an order from history, straight to its final state (order_import.cpp).
Decision import_historical_order(const OrderState& state, const v1::ImportHistoricalOrder& body,
                                 const DecideContext& ctx);

// What cancelling or expiring does to the money (refund what was taken, void a hold).
void add_payment_unwind(v1::OrderMoved& move, const OrderState& state);

// The saga's replies to an order (record_stock, record_payment, expire_order) and `pay` on an
// order the saga runs; nullopt for any other command (order_saga.cpp).
std::optional<Decision> decide_order_saga(const OrderState& state, const v1::Command& command,
                                          const DecideContext& ctx);

Decision decide_order(const OrderState& state, const v1::Command& command, const DecideContext& ctx);
void evolve_order(OrderState& state, const v1::EventPayload& event);

Decision decide_product(const ProductState& state, const v1::Command& command, const DecideContext& ctx);
void evolve_product(ProductState& state, const v1::EventPayload& event);

Decision decide_customer(const CustomerState& state, const v1::Command& command);
void evolve_customer(CustomerState& state, const v1::EventPayload& event);

Decision decide_account(const AccountState& state, const v1::Command& command, const DecideContext& ctx);
void evolve_account(AccountState& state, const v1::EventPayload& event);

}  // namespace orderline::domain::internal
