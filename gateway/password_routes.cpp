// Passwords after registration: a change by the holder (who proves the current one), and a
// reset by single-use token for whoever lost it. Both replace the argon2id hash in the account's
// stream (PasswordChanged) and revoke its logins there (RefreshTokensRevoked), so every gateway
// refuses those logins' refresh and access tokens. Hashing runs on the argon2id workers.
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "gateway/access.h"
#include "gateway/account_support.h"
#include "gateway/auth_runtime.h"
#include "gateway/handlers.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

bool done(const commands::CommandReply& reply) {
  return reply.kind == commands::CommandReply::Kind::done && reply.outcome.accepted();
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response invalid_reset() {
  return problem(400, "invalid_reset_token", "the reset token is not valid (expired, already used, or unknown)");
}

// What a reset request answers, whether the address has an account or not.
Response reset_accepted() {
  return json_response(
      json::object{{"detail", "if an account exists for this address, a reset token is on its way to it"}}, 202);
}

// Reset attempts are limited apart from logins (per address, and per account under a key of
// their own), so flooding someone's address with reset requests does not block their logins.
bool reset_allowed(const ExchangePtr& ex, const std::string& account_key) {
  const auto d = ex->auth->limiter.attempt("reset:" + ex->request.remote_address, "reset:" + account_key,
                                           ex->auth->now());
  if (d.verdict == auth::LoginLimiter::Verdict::allowed) return true;
  ex->respond(limited(ex, d));
  return false;
}

// A reset token for the account of `email`: its hash recorded in the account's stream, the
// token handed to the sender (on the workers: it may block). `on_recorded(accepted)` answers.
void issue_reset(const ExchangePtr& ex, const std::string& email, const std::string& requested_by,
                 std::function<void(bool accepted)> on_recorded) {
  const auto key = account_key_for(email);
  auto token = RefreshToken::fresh(key, uuid_v4(), kResetTokenKind);
  const auto expires_s = ex->auth->now() + ex->auth->reset_ttl_s;
  v1::Command command = new_command(ex, "reset-request-" + token.family_id, domain::account_stream(key), -1,
                                    principal_label(ex), token.hash());
  auto* body = command.mutable_request_password_reset();
  body->set_reset_id(token.family_id);
  body->set_token_hash(token.hash());
  body->set_expires_at_us(expires_s * 1'000'000);
  body->set_requested_by(requested_by);
  submit_command_then(ex, std::move(command), [ex, email, token, expires_s, on_recorded](const commands::CommandReply& reply) {
    if (reply.kind != commands::CommandReply::Kind::done) return ex->respond(reply_problem(reply));
    if (!reply.outcome.accepted()) return on_recorded(false);
    // Sent after the answer is decided, so the answer does not wait on (or tell of) the sender.
    auto* sender = ex->auth->reset_sender;
    const bool queued = ex->auth->workers->submit([sender, email, text = token.text(), expires_s] {
      if (!sender->send(email, text, expires_s)) spdlog::error("could not hand on a password-reset token");
    });
    if (!queued) spdlog::error("could not queue a password-reset token: the workers are busy");
    on_recorded(true);
  });
}

// The email field of a reset request; answers 400 (or 503 without a sender) and returns nullopt.
std::optional<std::string> reset_email(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return std::nullopt;
  const auto* obj = body->if_object();
  auto email = obj ? string_field(*obj, "email") : std::nullopt;
  if (!email || !plausible_email(normalise_email(*email))) {
    ex->respond(validation_problem({{"email", "must be an e-mail address"}}));
    return std::nullopt;
  }
  if (ex->auth->reset_sender == nullptr) {
    ex->respond(problem(503, "not_configured", "this server has no way to send password-reset tokens"));
    return std::nullopt;
  }
  return normalise_email(*email);
}

// The two string fields a password route needs, e.g. {"token", "new_password"}; answers 400
// naming each one missing and returns nullopt.
std::optional<std::pair<std::string, std::string>> two_strings(const ExchangePtr& ex, std::string_view first,
                                                               std::string_view second) {
  auto body = read_json_body(ex, true);
  if (!body) return std::nullopt;
  const auto* obj = body->if_object();
  auto a = obj ? string_field(*obj, first) : std::nullopt;
  auto b = obj ? string_field(*obj, second) : std::nullopt;
  std::vector<FieldError> errors;
  if (!a) errors.push_back({std::string(first), "is required (a string)"});
  if (!b) errors.push_back({std::string(second), "is required (a string)"});
  if (!errors.empty()) {
    ex->respond(validation_problem(std::move(errors)));
    return std::nullopt;
  }
  return std::pair{std::move(*a), std::move(*b)};
}

struct PasswordCheck {
  bool current_ok = false;
  std::optional<std::string> new_hash;
};

}  // namespace

void auth_change_password(const ExchangePtr& ex) {
  auto fields = two_strings(ex, "current_password", "new_password");
  if (!fields) return;
  const auto& principal = ex->principal;
  if (principal.account_key.empty()) {
    return ex->respond(problem(403, "forbidden", "this token's password is not kept here (identity provider or service token)"));
  }
  auto& [current, next] = *fields;
  if (refuse_weak_password(ex, next, "", "new_password")) return;
  const auto key = principal.account_key;
  // A stolen access token must not become a way around the login limits and lockout.
  const auto d = ex->auth->limiter.attempt(ex->request.remote_address, key, ex->auth->now());
  if (d.verdict != auth::LoginLimiter::Verdict::allowed) return ex->respond(limited(ex, d));
  bool failed = false;
  auto account = load_account(ex, key, &failed);
  if (failed) return;
  if (!account || account->closed) {
    ex->auth->refused(auth::Failure::revoked);
    return ex->respond(problem(401, "unauthorized", "this account is closed"));
  }
  const auto cost = ex->auth->cost;
  const bool queued = on_workers(
      ex,
      [hash = account->password_hash, current = std::move(current), next = std::move(next), cost] {
        PasswordCheck out;
        out.current_ok = auth::verify_password(hash, current);
        if (out.current_ok) out.new_hash = auth::hash_password(next, cost);
        return out;
      },
      [ex, account, key](PasswordCheck checked) {
        if (!checked.current_ok) {
          ex->auth->limiter.failed(key, ex->auth->now());
          ex->auth->refused(auth::Failure::invalid_credentials);
          return ex->respond(problem(403, "invalid_credentials", "the current password is wrong"));
        }
        if (!checked.new_hash) return ex->respond(busy());
        ex->auth->limiter.succeeded(key);
        // The login that asks stays signed in; every other one is revoked.
        const auto* own = account->family(ex->principal.session_id);
        const std::string keep = own && !own->revoked ? ex->principal.session_id : "";
        // The version read above: a change that raced another one answers 409 version_conflict.
        v1::Command command = new_command(ex, "password-" + uuid_v4(), domain::account_stream(key),
                                          static_cast<std::int64_t>(account->version), principal_label(ex),
                                          hex(sha256(*checked.new_hash)));
        auto* change = command.mutable_change_password();
        change->set_password_hash(*checked.new_hash);
        change->set_keep_family_id(keep);
        submit_command_then(ex, std::move(command), [ex](const commands::CommandReply& reply) {
          if (!done(reply)) return ex->respond(reply_problem(reply));
          respond_once_revoked(ex, reply.outcome, no_content());
        });
      });
  if (!queued) ex->respond(busy());
}

void auth_request_password_reset(const ExchangePtr& ex) {
  auto email = reset_email(ex);
  if (!email || !reset_allowed(ex, account_key_for(*email))) return;
  // An unknown address costs the same command (refused by its empty stream) and gets the same
  // answer, so the route does not tell which addresses have accounts.
  issue_reset(ex, *email, "self", [ex](bool) { ex->respond(reset_accepted()); });
}

void admin_password_reset(const ExchangePtr& ex) {
  auto email = reset_email(ex);
  if (!email) return;
  issue_reset(ex, *email, ex->principal.subject, [ex](bool accepted) {
    if (!accepted) return ex->respond(problem(404, "not_found", "no account has this e-mail address"));
    ex->respond(reset_accepted());
  });
}

void auth_confirm_password_reset(const ExchangePtr& ex) {
  auto fields = two_strings(ex, "token", "new_password");
  if (!fields) return;
  auto& [text, next] = *fields;
  auto presented = RefreshToken::parse(text, kResetTokenKind);
  if (!presented) return ex->respond(invalid_reset());
  if (!reset_allowed(ex, presented->account_key)) return;
  if (refuse_weak_password(ex, next, "", "new_password")) return;
  bool failed = false;
  auto account = load_account(ex, presented->account_key, &failed);
  if (failed) return;
  // Checked here before the costly hash; the aggregate checks again when it records the change.
  if (!account || account->reset_id.empty() || account->reset_id != presented->family_id ||
      account->reset_hash != presented->hash() || ex->auth->now() * 1'000'000 >= account->reset_expires_at_us) {
    return ex->respond(invalid_reset());
  }
  const auto cost = ex->auth->cost;
  const bool queued = on_workers(
      ex, [next = std::move(next), cost] { return auth::hash_password(next, cost); },
      [ex, presented = *presented](std::optional<std::string> hash) {
        if (!hash) return ex->respond(busy());
        v1::Command command = new_command(ex, "reset-" + uuid_v4(), domain::account_stream(presented.account_key),
                                          -1, "account:" + presented.account_key, hex(sha256(*hash)));
        auto* reset = command.mutable_reset_password();
        reset->set_reset_id(presented.family_id);
        reset->set_presented_hash(presented.hash());
        reset->set_password_hash(*hash);
        submit_command_then(ex, std::move(command), [ex, key = presented.account_key](const commands::CommandReply& reply) {
          if (reply.kind == commands::CommandReply::Kind::done && !reply.outcome.accepted() &&
              reply.outcome.error_code() == "invalid_reset_token") {
            return ex->respond(invalid_reset());
          }
          if (!done(reply)) return ex->respond(reply_problem(reply));
          // The reset lifted the lockout in the stream; this gateway's own count goes with it.
          ex->auth->limiter.succeeded(key);
          respond_once_revoked(ex, reply.outcome, no_content());
        });
      });
  if (!queued) ex->respond(busy());
}

}  // namespace orderline::gateway::handlers
