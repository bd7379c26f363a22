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

bool is_password_hash(std::string_view hash) { return hash.starts_with("$argon2id$"); }

Decision register_account(const AccountState& s, const v1::RegisterAccount& body) {
  if (s.version > 0) return reject(codes::already_exists, "an account with this e-mail address exists", "email");
  if (auto bad = check_body_id(body.account_key(), s.account_key, "account_key")) return Decision{{}, std::move(bad)};
  if (!is_password_hash(body.password_hash())) {
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

// kInvalidToken's counterpart for reset tokens: one code for unknown, used, expired or forged.
constexpr const char* kInvalidResetToken = "invalid_reset_token";

// A new password, and every live login of the account but `keep` revoked: one
// RefreshTokensRevoked per login (not one for "all"), so the gateways' denylist names the
// sessions and a login made a second later is not caught by a time cut-off.
Decision password_replaced(const AccountState& s, const std::string& hash, const std::string& keep,
                           const std::string& reason) {
  Decision d;
  for (const auto& [id, family] : s.families) {
    if (!family.revoked && id != keep) d.events.push_back(revoked(id, reason));
  }
  v1::EventPayload event;
  auto& changed = *event.mutable_password_changed();
  changed.set_password_hash(hash);
  changed.set_kept_family_id(keep);
  changed.set_reason(reason);
  d.events.push_back(std::move(event));  // last: its status is the outcome's
  return d;
}

Decision change_password(const AccountState& s, const v1::ChangePassword& body) {
  if (s.version == 0 || s.closed) return reject(codes::not_found, "no such account");
  if (!is_password_hash(body.password_hash())) {
    return reject(codes::validation_failed, "password_hash must be an argon2id hash", "password_hash");
  }
  if (!body.keep_family_id().empty() && !s.family(body.keep_family_id())) {
    return reject(codes::validation_failed, "keep_family_id is not a login of this account", "keep_family_id");
  }
  return password_replaced(s, body.password_hash(), body.keep_family_id(), "password_changed");
}

Decision request_reset(const AccountState& s, const v1::RequestPasswordReset& body) {
  if (s.version == 0 || s.closed) return reject(codes::not_found, "no such account");
  if (body.reset_id().empty() || body.token_hash().empty() || body.expires_at_us() <= 0) {
    return reject(codes::validation_failed, "reset_id, token_hash and expires_at_us are required");
  }
  v1::EventPayload event;
  auto& requested = *event.mutable_password_reset_requested();
  requested.set_reset_id(body.reset_id());
  requested.set_token_hash(body.token_hash());
  requested.set_expires_at_us(body.expires_at_us());
  requested.set_requested_by(body.requested_by());
  return emit(std::move(event));
}

Decision reset_password(const AccountState& s, const v1::ResetPassword& body, const DecideContext& ctx) {
  // Unknown, already used (cleared), replaced by a newer request, or forged: all one answer.
  if (s.version == 0 || s.closed || s.reset_id.empty() || body.reset_id() != s.reset_id ||
      body.presented_hash() != s.reset_hash) {
    return reject(kInvalidResetToken, "the reset token is not valid");
  }
  if (ctx.now_us >= s.reset_expires_at_us) return reject(kInvalidResetToken, "the reset token has expired");
  if (!is_password_hash(body.password_hash())) {
    return reject(codes::validation_failed, "password_hash must be an argon2id hash", "password_hash");
  }
  return password_replaced(s, body.password_hash(), "", "password_reset");
}

// One more failed login; the one that reaches the policy's count locks the account. An
// account already locked counts no further (its lock is not extended by more attempts).
Decision record_failure(const AccountState& s, const v1::RecordLoginFailure& body, const DecideContext& ctx) {
  if (s.version == 0) return reject(codes::not_found, "no such account");
  if (body.lockout_failures() < 1 || body.lockout_seconds() < 1) {
    return reject(codes::validation_failed, "lockout_failures and lockout_seconds must be positive");
  }
  if (s.locked_until_us > ctx.now_us) return no_op();
  Decision d;
  v1::EventPayload failed;
  failed.mutable_login_failed()->set_failures_in_a_row(s.failed_logins + 1);
  d.events.push_back(std::move(failed));
  if (s.failed_logins + 1 >= body.lockout_failures()) {
    v1::EventPayload locked;
    locked.mutable_account_locked()->set_locked_until_us(ctx.now_us + body.lockout_seconds() * 1'000'000);
    locked.mutable_account_locked()->set_failures_in_a_row(s.failed_logins + 1);
    d.events.push_back(std::move(locked));
  }
  return d;
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
    case C::kChangePassword: return change_password(state, command.change_password());
    case C::kRequestPasswordReset: return request_reset(state, command.request_password_reset());
    case C::kResetPassword: return reset_password(state, command.reset_password(), ctx);
    case C::kRecordLoginFailure: return record_failure(state, command.record_login_failure(), ctx);
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
      state.failed_logins = 0;  // a login succeeded
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
    case E::kPasswordChanged: {
      state.password_hash = event.password_changed().password_hash();
      state.reset_id.clear();  // a reset token is good for one change, whichever way it happens
      state.reset_hash.clear();
      state.reset_expires_at_us = 0;
      state.failed_logins = 0;  // whoever locked the account out no longer knows the password
      state.locked_until_us = 0;
      state.last_result = status::password_changed;
      return;
    }
    case E::kPasswordResetRequested: {
      const auto& r = event.password_reset_requested();
      state.reset_id = r.reset_id();
      state.reset_hash = r.token_hash();
      state.reset_expires_at_us = r.expires_at_us();
      state.last_result = status::reset_requested;
      return;
    }
    case E::kLoginFailed: {
      state.failed_logins = event.login_failed().failures_in_a_row();
      state.last_result = status::login_failed;
      return;
    }
    case E::kAccountLocked: {
      state.locked_until_us = event.account_locked().locked_until_us();
      state.failed_logins = 0;
      state.last_result = status::account_locked;
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
