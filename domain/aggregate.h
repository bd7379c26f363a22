#pragma once
// Aggregates as pure functions: decide(state, command) -> events | rejection and
// evolve(state, event) -> state. No I/O, no clocks, no threads: the command processor
// passes time and the catalogue snapshot in a DecideContext.
//
//   AggregateState s = initial_state("order-42");
//   Decision d = decide(s, place_order_command, ctx);
//   if (!d.rejection) for (auto& e : d.events) evolve(s, e);
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/rejection.h"
#include "domain/restricted_streams.h"
#include "orderline/v1/commands.pb.h"
#include "orderline/v1/events.pb.h"

namespace orderline::domain {

// Stream ids name their aggregate: "order-<id>", "product-<sku>", "customer-<id>".
std::string order_stream(std::string_view order_id);
std::string product_stream(std::string_view sku);
std::string customer_stream(std::string_view customer_id);
// "account-<account_key>": credentials and refresh tokens (issue 6). Restricted: exports and
// event listings must leave these streams out (is_restricted_stream).
std::string account_stream(std::string_view account_key);
// is_restricted_stream: domain/restricted_streams.h (credentials- and account- streams).

// Status names, as the API shows them.
namespace status {
inline constexpr const char* placed = "placed";
inline constexpr const char* confirmed = "confirmed";
inline constexpr const char* completed = "completed";
inline constexpr const char* cancelled = "cancelled";
inline constexpr const char* expired = "expired";
inline constexpr const char* return_requested = "return_requested";
inline constexpr const char* returned = "returned";
inline constexpr const char* not_paid = "not_paid";
inline constexpr const char* authorized = "authorized";
inline constexpr const char* captured = "captured";
inline constexpr const char* refunded = "refunded";
inline constexpr const char* failed = "failed";
inline constexpr const char* voided = "voided";
inline constexpr const char* requires_action = "requires_action";
inline constexpr const char* unfulfilled = "unfulfilled";
inline constexpr const char* shipped = "shipped";
inline constexpr const char* delivered = "delivered";
inline constexpr const char* active = "active";
inline constexpr const char* discontinued = "discontinued";
inline constexpr const char* registered = "registered";
inline constexpr const char* forgotten = "forgotten";
// Outcome statuses of the refresh-token commands on an account stream.
inline constexpr const char* token_issued = "token_issued";
inline constexpr const char* token_rotated = "token_rotated";
inline constexpr const char* token_reuse_detected = "token_reuse_detected";
inline constexpr const char* tokens_revoked = "tokens_revoked";
inline constexpr const char* password_changed = "password_changed";
inline constexpr const char* reset_requested = "reset_requested";
inline constexpr const char* login_failed = "login_failed";
inline constexpr const char* account_locked = "account_locked";
}  // namespace status

struct OrderState {
  std::uint64_t version = 0;  // 0: the order does not exist yet
  std::string order_id;
  std::string customer_id;
  std::string currency;
  std::string status;              // "" before placement
  std::string payment_status;      // not_paid, ...
  std::string fulfillment_status;  // unfulfilled, ...
  std::vector<v1::OrderLine> lines;
  v1::Money total;
  std::string return_id;
  // Saga progress (DESIGN "Domain": the saga's state lives in the order's stream).
  bool saga = false;                                   // the saga reserves and authorises
  std::vector<std::pair<std::string, std::int64_t>> held;  // SKUs the products hold, with their due time
  std::int64_t timeout_due_at_us = 0;                  // earliest scheduled time-out (0: none)
  bool all_lines_held() const;
};

struct Reservation {
  std::string order_id;
  std::int64_t quantity = 0;
  std::int64_t expires_at_us = 0;
};

struct ProductState {
  std::uint64_t version = 0;
  std::string sku;
  std::string name;
  v1::Money price;
  std::int64_t on_hand = 0;
  bool active = false;
  std::vector<Reservation> reservations;
};

struct CustomerState {
  std::uint64_t version = 0;
  std::string customer_id;
  std::string email;  // only from events written before personal data was sealed
  std::string name;
  bool forgotten = false;
};

// One login's chain of refresh tokens (hashes only).
struct RefreshFamily {
  std::string current_hash;
  std::vector<std::string> used_hashes;  // rotated out, newest last; bounded (kMaxUsedHashes)
  std::int64_t expires_at_us = 0;
  bool revoked = false;
};

struct AccountState {
  std::uint64_t version = 0;
  std::string account_key;
  std::string customer_id;
  std::string password_hash;
  std::vector<std::string> roles;
  std::vector<std::pair<std::string, RefreshFamily>> families;  // by family id, oldest first
  // What the last refresh-token command did (status::token_*), for its outcome's status.
  std::string last_result;
  bool closed = false;  // its customer was forgotten: no more logins
  // The one pending password reset (PasswordResetRequested); empty id: none. Used once: a
  // password change (by reset or by the holder) clears it.
  std::string reset_id;
  std::string reset_hash;
  std::int64_t reset_expires_at_us = 0;
  // Failed logins in a row (LoginFailed) and the lockout they led to (AccountLocked).
  std::int64_t failed_logins = 0;
  std::int64_t locked_until_us = 0;

  const RefreshFamily* family(std::string_view family_id) const;
};
inline constexpr std::size_t kMaxRefreshFamilies = 20;  // live logins per account; the oldest go
inline constexpr std::size_t kMaxUsedHashes = 64;

// State of a stream whose id has no known prefix: every command on it is rejected.
struct UnknownStream {
  std::uint64_t version = 0;
};

using AggregateState = std::variant<UnknownStream, OrderState, ProductState, CustomerState, AccountState>;

// What the command handler knows of a product from the catalogue read model (DESIGN rule 7).
struct ProductSnapshot {
  std::string sku;
  std::string name;
  v1::Money price;
  bool active = false;
};

struct DecideContext {
  std::int64_t now_us = 0;
  // Catalogue read model lookup; nullopt for an unknown SKU.
  std::function<std::optional<ProductSnapshot>(std::string_view sku)> catalogue;
  // Customer read model lookup; true when the customer is registered.
  std::function<bool(std::string_view customer_id)> customer_exists;
  // The order saga runs: new orders are marked for it and `pay` completes a requires_action.
  bool saga = false;
};

struct Decision {
  std::vector<v1::EventPayload> events;  // empty and no rejection: an accepted no-op
  std::optional<Rejection> rejection;
  // Business time of each event (EventEnvelope.occurred_at_us) when it is not the time of the
  // decision: imported history happened years ago. Empty: every event happens now.
  std::vector<std::int64_t> occurred_at_us = {};
};

AggregateState initial_state(std::string_view stream_id);
Decision decide(const AggregateState& state, const v1::Command& command, const DecideContext& ctx);
// Folds one event in and bumps the version by one.
void evolve(AggregateState& state, const v1::EventPayload& event);

std::uint64_t version_of(const AggregateState& state);
// Main status of the aggregate after its last event ("placed", "active", "registered", ...).
std::string status_of(const AggregateState& state);

// Envelope type name of an event ("OrderPlaced", "OrderPaid", ...), and its schema version.
std::string event_type(const v1::EventPayload& event);
std::uint32_t schema_version(const v1::EventPayload& event);

// Limits of the order invariants.
inline constexpr int kMinQuantity = 1;
inline constexpr int kMaxQuantity = 999;
inline constexpr int kMaxLines = 100;

}  // namespace orderline::domain
