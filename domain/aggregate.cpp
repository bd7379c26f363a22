// The stream-level view of the aggregates: which aggregate a stream id names, dispatch of
// commands and events to it, the version count, and the envelope names of events.
#include "domain/aggregate.h"

#include <utility>

#include <google/protobuf/descriptor.h>

#include "domain/internal.h"

namespace orderline::domain {
namespace {

constexpr std::string_view kOrderPrefix = "order-";
constexpr std::string_view kProductPrefix = "product-";
constexpr std::string_view kCustomerPrefix = "customer-";
constexpr std::string_view kAccountPrefix = "account-";

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

namespace internal {

Decision reject(std::string code, std::string detail, std::string field) {
  Decision decision;
  decision.rejection = Rejection{std::move(code), std::move(detail), std::move(field)};
  return decision;
}

Decision emit(v1::EventPayload event) {
  Decision decision;
  decision.events.push_back(std::move(event));
  return decision;
}

Decision no_op() { return Decision{}; }

v1::Transition transition(std::string_view machine, std::string_view from, std::string_view to) {
  v1::Transition t;
  t.set_machine(std::string(machine));
  t.set_from(std::string(from));
  t.set_to(std::string(to));
  return t;
}

std::string_view stream_key(std::string_view stream_id, std::string_view prefix) {
  return stream_id.starts_with(prefix) ? stream_id.substr(prefix.size()) : std::string_view{};
}

std::string command_name(const v1::Command& command) {
  const auto* field = v1::Command::descriptor()->FindFieldByNumber(static_cast<int>(command.body_case()));
  return field ? field->name() : "empty command";
}

Decision wrong_aggregate(const v1::Command& command, std::string_view aggregate) {
  return reject(codes::validation_failed,
                command_name(command) + " does not apply to a " + std::string(aggregate) + " stream");
}

std::optional<Rejection> check_body_id(std::string_view body_id, std::string_view state_id,
                                       std::string_view field) {
  // A state built without a stream id (tests, tools) has nothing to compare against.
  if (body_id.empty() || state_id.empty() || body_id == state_id) return std::nullopt;
  return Rejection{codes::validation_failed,
                   std::string(field) + " '" + std::string(body_id) + "' does not match the stream ('" +
                       std::string(state_id) + "')",
                   std::string(field)};
}

}  // namespace internal

std::string order_stream(std::string_view order_id) { return std::string(kOrderPrefix) + std::string(order_id); }
std::string product_stream(std::string_view sku) { return std::string(kProductPrefix) + std::string(sku); }
std::string customer_stream(std::string_view customer_id) {
  return std::string(kCustomerPrefix) + std::string(customer_id);
}

std::string account_stream(std::string_view account_key) {
  return std::string(kAccountPrefix) + std::string(account_key);
}

AggregateState initial_state(std::string_view stream_id) {
  // The key is remembered so that ids in command bodies can be checked against the stream.
  if (stream_id.starts_with(kOrderPrefix)) {
    OrderState state;
    state.order_id = internal::stream_key(stream_id, kOrderPrefix);
    return state;
  }
  if (stream_id.starts_with(kProductPrefix)) {
    ProductState state;
    state.sku = internal::stream_key(stream_id, kProductPrefix);
    return state;
  }
  if (stream_id.starts_with(kCustomerPrefix)) {
    CustomerState state;
    state.customer_id = internal::stream_key(stream_id, kCustomerPrefix);
    return state;
  }
  if (stream_id.starts_with(kAccountPrefix)) {
    AccountState state;
    state.account_key = internal::stream_key(stream_id, kAccountPrefix);
    return state;
  }
  return UnknownStream{};
}

Decision decide(const AggregateState& state, const v1::Command& command, const DecideContext& ctx) {
  return std::visit(
      Overloaded{
          [&](const UnknownStream&) {
            return internal::reject(codes::validation_failed,
                                    "stream '" + command.stream_id() + "' names no known aggregate");
          },
          [&](const OrderState& s) { return internal::decide_order(s, command, ctx); },
          [&](const ProductState& s) { return internal::decide_product(s, command, ctx); },
          [&](const CustomerState& s) { return internal::decide_customer(s, command); },
          [&](const AccountState& s) { return internal::decide_account(s, command, ctx); },
      },
      state);
}

void evolve(AggregateState& state, const v1::EventPayload& event) {
  std::visit(Overloaded{
                 [](UnknownStream&) {},
                 [&](OrderState& s) { internal::evolve_order(s, event); },
                 [&](ProductState& s) { internal::evolve_product(s, event); },
                 [&](CustomerState& s) { internal::evolve_customer(s, event); },
                 [&](AccountState& s) { internal::evolve_account(s, event); },
             },
             state);
  // Every stored event counts, even one this aggregate does not understand, so that the
  // version always equals the stream's length and optimistic concurrency stays sound.
  std::visit([](auto& s) { ++s.version; }, state);
}

std::uint64_t version_of(const AggregateState& state) {
  return std::visit([](const auto& s) { return s.version; }, state);
}

std::string status_of(const AggregateState& state) {
  return std::visit(Overloaded{
                        [](const UnknownStream&) { return std::string(); },
                        [](const OrderState& s) { return s.status; },
                        [](const ProductState& s) {
                          if (s.version == 0) return std::string();
                          return std::string(s.active ? status::active : status::discontinued);
                        },
                        [](const CustomerState& s) {
                          if (s.version == 0) return std::string();
                          return std::string(s.forgotten ? status::forgotten : status::registered);
                        },
                        [](const AccountState& s) {
                          if (s.version == 0) return std::string();
                          return s.last_result.empty() ? std::string(status::registered) : s.last_result;
                        },
                    },
                    state);
}

std::string event_type(const v1::EventPayload& event) {
  using E = v1::EventPayload;
  switch (event.event_case()) {
    case E::kProductCreated: return "ProductCreated";
    case E::kProductPriceChanged: return "ProductPriceChanged";
    case E::kProductRestocked: return "ProductRestocked";
    case E::kProductDiscontinued: return "ProductDiscontinued";
    case E::kStockReserved: return "StockReserved";
    case E::kStockReleased: return "StockReleased";
    case E::kStockRejected: return "StockRejected";
    case E::kCustomerRegistered: return "CustomerRegistered";
    case E::kCustomerForgotten: return "CustomerForgotten";
    case E::kAccountRegistered: return "AccountRegistered";
    case E::kRefreshTokenIssued: return "RefreshTokenIssued";
    case E::kRefreshTokenRotated: return "RefreshTokenRotated";
    case E::kRefreshTokensRevoked: return "RefreshTokensRevoked";
    case E::kPasswordChanged: return "PasswordChanged";
    case E::kPasswordResetRequested: return "PasswordResetRequested";
    case E::kLoginFailed: return "LoginFailed";
    case E::kAccountLocked: return "AccountLocked";
    case E::kOrderPlaced: return "OrderPlaced";
    case E::kOrderPaid: return "OrderPaid";
    case E::kOrderShipped: return "OrderShipped";
    case E::kOrderDelivered: return "OrderDelivered";
    case E::kOrderCancelled: return "OrderCancelled";
    case E::kOrderReturnRequested: return "OrderReturnRequested";
    case E::kOrderReturned: return "OrderReturned";
    case E::kOrderConfirmed: return "OrderConfirmed";
    case E::kOrderExpired: return "OrderExpired";
    case E::kOrderStockReserved: return "OrderStockReserved";
    case E::kOrderPaymentActionRequired: return "OrderPaymentActionRequired";
    case E::kOrderPaymentActionCompleted: return "OrderPaymentActionCompleted";
    case E::kStockCommitted: return "StockCommitted";
    case E::kStockShipped: return "StockShipped";
    case E::EVENT_NOT_SET: break;
  }
  return "";
}

// Every released event type is at its first schema; a breaking change bumps its entry here
// and comes with an upcaster (DESIGN "Event envelope and schema evolution").
std::uint32_t schema_version(const v1::EventPayload&) { return 1; }

}  // namespace orderline::domain
