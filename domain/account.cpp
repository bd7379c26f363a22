// The account aggregate of the restricted "account-" streams: credentials (an argon2id hash,
// never a password), roles, and the refresh-token families of its logins. Refresh tokens
// rotate on every use; a token that was already rotated out and comes back means it leaked,
// so the whole family is revoked (the OAuth 2.0 Security BCP's reuse detection).
#include <algorithm>
#include <string>

#include "domain/internal.h"

namespace orderline::domain::internal {
namespace {

using C = v1::Command;

// The refresh commands answer "rejected" as one code, so a caller learns nothing about which
// part of a stolen or forged token was wrong.
constexpr const char* kInvalidToken = "invalid_refresh_token";

bool known_role(std::string_view role) {
  return role == "customer" || role == "staff" || role == "ops" || role == "analyst" || role == "admin";
}

Decision register_account(const AccountState& s, const v1::RegisterAccount& body) {
  if (s.version > 0) return reject(codes::already_exists, "an account with this e-mail address exists", "email");
  if (auto bad = check_body_id(body.account_key(), s.account_key, "account_key")) return Decision{{}, std::move(bad)};
  if (!body.password_hash().starts_with("$argon2id$")) {
    return reject(codes::validation_failed, "password_hash must be an argon2id hash", "password_hash");
  }
  if (body.roles().empty()) return reject(codes::validation_failed, "an account needs a role", "roles");
  for (const auto& role : body.roles()) {
    if (!known_role(role)) return reject(codes::validation_failed, "unknown role '" + role + "'", "roles");
  }
  v1::EventPayload event;
  auto& registered = *event.mutable_account_registered();
  registered.set_account_key(s.account_key.empty() ? body.account_key() : s.account_key);
  registered.set_customer_id(body.customer_id());
  registered.set_password_hash(body.password_hash());
  *registered.mutable_roles() = body.roles();
  return emit(std::move(event));
}

Decision issue(const AccountState& s, const v1::IssueRefreshToken& body) {
  if (s.version == 0) return reject(codes::not_found, "no such account");
  if (body.family_id().empty() || body.token_hash().empty()) {
    return reject(codes::validation_failed, "family_id and token_hash are required");
  }
  if (s.family(body.family_id())) return reject(codes::already_exists, "refresh token family exists", "family_id");
  v1::EventPayload event;
  auto& issued = *event.mutable_refresh_token_issued();
  issued.set_family_id(body.family_id());
  issued.set_token_hash(body.token_hash());
  issued.set_expires_at_us(body.expires_at_us());
  return emit(std::move(event));
}

v1::EventPayload revoked(std::string family_id, std::string reason) {
  v1::EventPayload event;
  auto& r = *event.mutable_refresh_tokens_revoked();
  r.set_family_id(std::move(family_id));
  r.set_reason(std::move(reason));
  return event;
}

Decision rotate(const AccountState& s, const v1::RotateRefreshToken& body, const DecideContext& ctx) {
  const RefreshFamily* family = s.version == 0 ? nullptr : s.family(body.family_id());
  if (!family || body.presented_hash().empty()) return reject(kInvalidToken, "the refresh token is not valid");
  if (family->revoked) return reject(kInvalidToken, "the refresh token was revoked");
  const auto& used = family->used_hashes;
  if (std::find(used.begin(), used.end(), body.presented_hash()) != used.end()) {
    // Accepted, so the revocation is recorded; the status tells the gateway to refuse.
    return emit(revoked(body.family_id(), "reuse_detected"));
  }
  if (body.presented_hash() != family->current_hash) return reject(kInvalidToken, "the refresh token is not valid");
  if (family->expires_at_us != 0 && ctx.now_us >= family->expires_at_us) {
    return reject(kInvalidToken, "the refresh token has expired");
  }
  if (body.new_hash().empty()) return reject(codes::validation_failed, "new_hash is required");
  v1::EventPayload event;
  auto& rotated = *event.mutable_refresh_token_rotated();
  rotated.set_family_id(body.family_id());
  rotated.set_from_hash(body.presented_hash());
  rotated.set_to_hash(body.new_hash());
  rotated.set_expires_at_us(body.expires_at_us());
  return emit(std::move(event));
}

Decision revoke(const AccountState& s, const v1::RevokeRefreshTokens& body) {
  if (s.version == 0) return reject(codes::not_found, "no such account");
  if (body.family_id().empty()) return emit(revoked("", body.reason().empty() ? "revoked" : body.reason()));
  const RefreshFamily* family = s.family(body.family_id());
  if (!family) return reject(kInvalidToken, "the refresh token is not valid");
  if (!body.presented_hash().empty()) {
    const auto& used = family->used_hashes;
    const bool ours = body.presented_hash() == family->current_hash ||
                      std::find(used.begin(), used.end(), body.presented_hash()) != used.end();
    if (!ours) return reject(kInvalidToken, "the refresh token is not valid");
  }
  if (family->revoked) return no_op();
  return emit(revoked(body.family_id(), body.reason().empty() ? "logout" : body.reason()));
}

RefreshFamily* find_family(AccountState& s, std::string_view family_id) {
  for (auto& [id, family] : s.families) {
    if (id == family_id) return &family;
  }
  return nullptr;
}

}  // namespace

Decision decide_account(const AccountState& state, const v1::Command& command, const DecideContext& ctx) {
  switch (command.body_case()) {
    case C::kRegisterAccount: return register_account(state, command.register_account());
    case C::kIssueRefreshToken: return issue(state, command.issue_refresh_token());
    case C::kRotateRefreshToken: return rotate(state, command.rotate_refresh_token(), ctx);
    case C::kRevokeRefreshTokens: return revoke(state, command.revoke_refresh_tokens());
    default: return wrong_aggregate(command, "account");
  }
}

void evolve_account(AccountState& state, const v1::EventPayload& event) {
  using E = v1::EventPayload;
  switch (event.event_case()) {
    case E::kAccountRegistered: {
      const auto& r = event.account_registered();
      if (!r.account_key().empty()) state.account_key = r.account_key();
      state.customer_id = r.customer_id();
      state.password_hash = r.password_hash();
      state.roles.assign(r.roles().begin(), r.roles().end());
      state.last_result.clear();
      return;
    }
    case E::kRefreshTokenIssued: {
      const auto& r = event.refresh_token_issued();
      RefreshFamily family;
      family.current_hash = r.token_hash();
      family.expires_at_us = r.expires_at_us();
      state.families.emplace_back(r.family_id(), std::move(family));
      // Bounded: the oldest logins drop out (their refresh tokens stop working).
      while (state.families.size() > kMaxRefreshFamilies) state.families.erase(state.families.begin());
      state.last_result = status::token_issued;
      return;
    }
    case E::kRefreshTokenRotated: {
      const auto& r = event.refresh_token_rotated();
      if (auto* family = find_family(state, r.family_id())) {
        family->used_hashes.push_back(r.from_hash());
        if (family->used_hashes.size() > kMaxUsedHashes) family->used_hashes.erase(family->used_hashes.begin());
        family->current_hash = r.to_hash();
        family->expires_at_us = r.expires_at_us();
      }
      state.last_result = status::token_rotated;
      return;
    }
    case E::kRefreshTokensRevoked: {
      const auto& r = event.refresh_tokens_revoked();
      for (auto& [id, family] : state.families) {
        if (r.family_id().empty() || id == r.family_id()) family.revoked = true;
      }
      state.last_result = r.reason() == "reuse_detected" ? status::token_reuse_detected : status::tokens_revoked;
      if (r.reason() == "customer_forgotten") state.closed = true;
      return;
    }
    default: return;
  }
}

}  // namespace orderline::domain::internal

namespace orderline::domain {

const RefreshFamily* AccountState::family(std::string_view family_id) const {
  for (const auto& [id, family] : families) {
    if (id == family_id) return &family;
  }
  return nullptr;
}

}  // namespace orderline::domain
