// The customer aggregate: registration and forgetting. Personal data arrives sealed with the
// customer's own key (the gateway holds the keys); forgetting records that the key is gone.
#include <algorithm>
#include <string>

#include "domain/internal.h"

namespace orderline::domain::internal {
namespace {

constexpr std::size_t kMaxEmailLength = 254;  // RFC 5321 path limit
constexpr std::size_t kMaxNameLength = 200;

// Deliberately loose: one '@', something on each side, a dot in the domain. Whether the
// address works is for a confirmation mail to find out, not a regular expression.
bool plausible_email(std::string_view email) {
  if (email.size() > kMaxEmailLength || std::count(email.begin(), email.end(), '@') != 1) return false;
  const auto at = email.find('@');
  const auto local = email.substr(0, at);
  const auto domain = email.substr(at + 1);
  return !local.empty() && !domain.empty() && domain.find('.') != std::string_view::npos;
}

Decision register_customer(const CustomerState& s, const v1::RegisterCustomer& body) {
  if (s.version > 0) {
    return reject(codes::already_exists, "customer '" + s.customer_id + "' already exists", "customer_id");
  }
  if (body.customer_id().empty()) return reject(codes::validation_failed, "customer_id is required", "customer_id");
  if (auto bad = check_body_id(body.customer_id(), s.customer_id, "customer_id")) return Decision{{}, std::move(bad)};
  // Sealed personal data was checked by the gateway before sealing: the domain cannot read it.
  const bool sealed = !body.sealed_personal_data().empty();
  if (!sealed && !plausible_email(body.email())) {
    return reject(codes::validation_failed, "email is not a valid address", "email");
  }
  if (!sealed && (body.name().empty() || body.name().size() > kMaxNameLength)) {
    return reject(codes::validation_failed, "name must have 1 to " + std::to_string(kMaxNameLength) + " characters",
                  "name");
  }
  v1::EventPayload event;
  auto& registered = *event.mutable_customer_registered();
  registered.set_customer_id(body.customer_id());
  if (sealed) {
    registered.set_sealed_personal_data(body.sealed_personal_data());
  } else {
    registered.set_email(body.email());
    registered.set_name(body.name());
  }
  registered.set_account_key(body.account_key());
  return emit(std::move(event));
}

Decision forget_customer(const CustomerState& s, const v1::ForgetCustomer& body) {
  if (s.version == 0) return reject(codes::not_found, "customer '" + s.customer_id + "' does not exist");
  if (auto bad = check_body_id(body.customer_id(), s.customer_id, "customer_id")) return Decision{{}, std::move(bad)};
  if (s.forgotten) return no_op();
  v1::EventPayload event;
  auto& forgotten = *event.mutable_customer_forgotten();
  forgotten.set_customer_id(s.customer_id);
  forgotten.set_reason(body.reason());
  return emit(std::move(event));
}

}  // namespace

Decision decide_customer(const CustomerState& state, const v1::Command& command) {
  const auto& owner = command.owner_customer_id();
  if (!owner.empty() && owner != state.customer_id) {
    return reject(codes::not_found, "customer '" + state.customer_id + "' does not exist");
  }
  if (command.body_case() == v1::Command::kForgetCustomer) return forget_customer(state, command.forget_customer());
  if (command.body_case() != v1::Command::kRegisterCustomer) return wrong_aggregate(command, "customer");
  return register_customer(state, command.register_customer());
}

void evolve_customer(CustomerState& state, const v1::EventPayload& event) {
  if (event.event_case() == v1::EventPayload::kCustomerForgotten) {
    state.forgotten = true;
    state.email.clear();
    state.name.clear();
    return;
  }
  if (event.event_case() != v1::EventPayload::kCustomerRegistered) return;
  const auto& registered = event.customer_registered();
  state.customer_id = registered.customer_id();
  state.email = registered.email();
  state.name = registered.name();
}

}  // namespace orderline::domain::internal
