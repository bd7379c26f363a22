#include "domain/snapshot_codec.h"

#include <type_traits>

#include "orderline/v1/snapshots.pb.h"

namespace orderline::domain {
namespace {

#if defined(__GLIBCXX__) && defined(__x86_64__) && !defined(_GLIBCXX_DEBUG)
// A state struct changed size: a field was added or removed. Update the codec below and
// snapshots.proto, bump kStateSchemaVersion, then these sizes (stale snapshots must not load).
static_assert(sizeof(OrderState) == 336, "OrderState changed: see snapshot_codec.h");
static_assert(sizeof(ProductState) == 152, "ProductState changed: see snapshot_codec.h");
static_assert(sizeof(CustomerState) == 112, "CustomerState changed: see snapshot_codec.h");
static_assert(sizeof(RefreshFamily) == 72, "RefreshFamily changed: see snapshot_codec.h");
static_assert(sizeof(AccountState) == 280, "AccountState changed: see snapshot_codec.h");
#endif

void encode(const OrderState& s, v1::OrderStateSnapshot& out) {
  out.set_order_id(s.order_id);
  out.set_customer_id(s.customer_id);
  out.set_currency(s.currency);
  out.set_status(s.status);
  out.set_payment_status(s.payment_status);
  out.set_fulfillment_status(s.fulfillment_status);
  for (const auto& line : s.lines) *out.add_lines() = line;
  *out.mutable_total() = s.total;
  out.set_return_id(s.return_id);
  out.set_saga(s.saga);
  for (const auto& [sku, due] : s.held) {
    auto* hold = out.add_held();
    hold->set_sku(sku);
    hold->set_due_at_us(due);
  }
  out.set_timeout_due_at_us(s.timeout_due_at_us);
}

void decode(const v1::OrderStateSnapshot& in, OrderState& s) {
  s.order_id = in.order_id();
  s.customer_id = in.customer_id();
  s.currency = in.currency();
  s.status = in.status();
  s.payment_status = in.payment_status();
  s.fulfillment_status = in.fulfillment_status();
  s.lines.assign(in.lines().begin(), in.lines().end());
  s.total = in.total();
  s.return_id = in.return_id();
  s.saga = in.saga();
  s.held.clear();
  for (const auto& hold : in.held()) s.held.emplace_back(hold.sku(), hold.due_at_us());
  s.timeout_due_at_us = in.timeout_due_at_us();
}

void encode(const ProductState& s, v1::ProductStateSnapshot& out) {
  out.set_sku(s.sku);
  out.set_name(s.name);
  *out.mutable_price() = s.price;
  out.set_on_hand(s.on_hand);
  out.set_active(s.active);
  out.mutable_reservations()->Reserve(static_cast<int>(s.reservations.size()));
  for (const auto& r : s.reservations) {
    auto* reservation = out.add_reservations();
    reservation->set_order_id(r.order_id);
    reservation->set_quantity(r.quantity);
    reservation->set_expires_at_us(r.expires_at_us);
  }
}

void decode(const v1::ProductStateSnapshot& in, ProductState& s) {
  s.sku = in.sku();
  s.name = in.name();
  s.price = in.price();
  s.on_hand = in.on_hand();
  s.active = in.active();
  s.reservations.clear();
  s.reservations.reserve(static_cast<std::size_t>(in.reservations_size()));
  for (const auto& r : in.reservations()) s.reservations.push_back({r.order_id(), r.quantity(), r.expires_at_us()});
}

void encode(const CustomerState& s, v1::CustomerStateSnapshot& out) {
  out.set_customer_id(s.customer_id);
  out.set_email(s.email);
  out.set_name(s.name);
  out.set_forgotten(s.forgotten);
}

void decode(const v1::CustomerStateSnapshot& in, CustomerState& s) {
  s.customer_id = in.customer_id();
  s.email = in.email();
  s.name = in.name();
  s.forgotten = in.forgotten();
}

void encode(const AccountState& s, v1::AccountStateSnapshot& out) {
  out.set_account_key(s.account_key);
  out.set_customer_id(s.customer_id);
  out.set_password_hash(s.password_hash);
  for (const auto& role : s.roles) out.add_roles(role);
  for (const auto& [id, family] : s.families) {
    auto* f = out.add_families();
    f->set_family_id(id);
    f->set_current_hash(family.current_hash);
    for (const auto& hash : family.used_hashes) f->add_used_hashes(hash);
    f->set_expires_at_us(family.expires_at_us);
    f->set_revoked(family.revoked);
  }
  out.set_last_result(s.last_result);
  out.set_closed(s.closed);
  out.set_reset_id(s.reset_id);
  out.set_reset_hash(s.reset_hash);
  out.set_reset_expires_at_us(s.reset_expires_at_us);
  out.set_failed_logins(s.failed_logins);
  out.set_locked_until_us(s.locked_until_us);
}

void decode(const v1::AccountStateSnapshot& in, AccountState& s) {
  s.account_key = in.account_key();
  s.customer_id = in.customer_id();
  s.password_hash = in.password_hash();
  s.roles.assign(in.roles().begin(), in.roles().end());
  s.families.clear();
  for (const auto& f : in.families()) {
    RefreshFamily family;
    family.current_hash = f.current_hash();
    family.used_hashes.assign(f.used_hashes().begin(), f.used_hashes().end());
    family.expires_at_us = f.expires_at_us();
    family.revoked = f.revoked();
    s.families.emplace_back(f.family_id(), std::move(family));
  }
  s.last_result = in.last_result();
  s.closed = in.closed();
  s.reset_id = in.reset_id();
  s.reset_hash = in.reset_hash();
  s.reset_expires_at_us = in.reset_expires_at_us();
  s.failed_logins = in.failed_logins();
  s.locked_until_us = in.locked_until_us();
}

// The id a state takes from its stream id (initial_state); a snapshot must carry the same.
const std::string* identity(const AggregateState& state) {
  if (const auto* s = std::get_if<OrderState>(&state)) return &s->order_id;
  if (const auto* s = std::get_if<ProductState>(&state)) return &s->sku;
  if (const auto* s = std::get_if<CustomerState>(&state)) return &s->customer_id;
  if (const auto* s = std::get_if<AccountState>(&state)) return &s->account_key;
  return nullptr;
}

}  // namespace

std::optional<std::string> encode_snapshot(const AggregateState& state) {
  if (version_of(state) == 0) return std::nullopt;
  v1::AggregateSnapshot snapshot;
  snapshot.set_state_schema(kStateSchemaVersion);
  snapshot.set_version(version_of(state));
  bool kept = true;
  std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, OrderState>) encode(s, *snapshot.mutable_order());
        else if constexpr (std::is_same_v<S, ProductState>) encode(s, *snapshot.mutable_product());
        else if constexpr (std::is_same_v<S, CustomerState>) encode(s, *snapshot.mutable_customer());
        else if constexpr (std::is_same_v<S, AccountState>) encode(s, *snapshot.mutable_account());
        else kept = false;  // UnknownStream: its commands are all rejected, nothing to keep
      },
      state);
  if (!kept) return std::nullopt;
  return snapshot.SerializeAsString();
}

std::optional<AggregateState> decode_snapshot(std::string_view stream_id, std::string_view bytes) {
  v1::AggregateSnapshot snapshot;
  if (!snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  if (snapshot.state_schema() != kStateSchemaVersion || snapshot.version() == 0) return std::nullopt;
  AggregateState state = initial_state(stream_id);
  const std::string* id = identity(state);
  if (id == nullptr) return std::nullopt;
  const std::string expected_id = *id;
  bool matches = false;
  std::visit(
      [&](auto& s) {
        using S = std::decay_t<decltype(s)>;
        using C = v1::AggregateSnapshot::StateCase;
        if constexpr (std::is_same_v<S, OrderState>) {
          if ((matches = snapshot.state_case() == C::kOrder)) decode(snapshot.order(), s);
        } else if constexpr (std::is_same_v<S, ProductState>) {
          if ((matches = snapshot.state_case() == C::kProduct)) decode(snapshot.product(), s);
        } else if constexpr (std::is_same_v<S, CustomerState>) {
          if ((matches = snapshot.state_case() == C::kCustomer)) decode(snapshot.customer(), s);
        } else if constexpr (std::is_same_v<S, AccountState>) {
          if ((matches = snapshot.state_case() == C::kAccount)) decode(snapshot.account(), s);
        }
        s.version = snapshot.version();
      },
      state);
  // Another aggregate type, or another stream's state filed under this one: not ours.
  if (!matches || *identity(state) != expected_id) return std::nullopt;
  return state;
}

}  // namespace orderline::domain
