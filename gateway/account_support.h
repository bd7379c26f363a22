#pragma once
// What the account routes share: e-mail normalisation and account keys, reading an account's
// state from the log, refresh-token text, the answer that carries new tokens, and the
// answers of limits, busy workers and revocations.
#include <optional>
#include <string>
#include <string_view>

#include <memory>

#include <boost/json/object.hpp>

#include "domain/aggregate.h"
#include "gateway/auth/login_limiter.h"
#include "gateway/auth_runtime.h"
#include "gateway/exchange.h"
#include "orderline/v1/commands.pb.h"

namespace orderline::gateway {

// Runs fn on the auth workers (argon2id, key store work that syncs), then then(result) back on
// the connection's strand. False when the workers' queue is full (answer 503 then).
template <typename Fn, typename Then>
bool on_workers(const ExchangePtr& ex, Fn fn, Then then) {
  return ex->auth->workers->submit([ex, fn = std::move(fn), then = std::move(then)]() mutable {
    auto result = std::make_shared<decltype(fn())>(fn());
    ex->post([result, then = std::move(then)]() mutable { then(std::move(*result)); });
  });
}

// Trimmed and lower-cased: one account per address however it is typed.
std::string normalise_email(std::string_view email);
bool plausible_email(std::string_view email);
// Lower-case hex SHA-256 of the normalised e-mail: the account stream's key.
std::string account_key_for(std::string_view email);
std::string hex(std::string_view bytes);

// The account as the log has it: nullopt when the stream is empty; answers 503 and sets
// *failed when the log cannot be read.
std::optional<domain::AccountState> load_account(const ExchangePtr& ex, const std::string& account_key, bool* failed);

// "<kind>.<account_key>.<id>.<secret>"; the log keeps only SHA-256(secret). Refresh tokens
// ("olr1", id: the login's family) and password-reset tokens ("olp1", id: the reset's).
inline constexpr std::string_view kRefreshTokenKind = "olr1";
inline constexpr std::string_view kResetTokenKind = "olp1";
struct RefreshToken {
  std::string account_key;
  std::string family_id;
  std::string secret;
  std::string_view kind = kRefreshTokenKind;
  std::string text() const;
  std::string hash() const;
  static RefreshToken fresh(std::string account_key, std::string family_id,
                            std::string_view kind = kRefreshTokenKind);
  // nullopt for anything but a well-formed token of this kind.
  static std::optional<RefreshToken> parse(std::string_view text, std::string_view kind = kRefreshTokenKind);
};

auth::Principal principal_of(const domain::AccountState& account);

// 200 {"access_token","token_type":"Bearer","expires_in","refresh_token","refresh_expires_in",
// "customer_id","roles"}
Response token_answer(const ExchangePtr& ex, const domain::AccountState& account, const RefreshToken& refresh);

// A string member of a JSON body; nullopt when absent or not a string.
std::optional<std::string> string_field(const boost::json::object& body, std::string_view name);

// Answers 400 weak_password, listing every broken rule under `field`, and returns true when
// `password` breaks one (email: the account's address, "" when the server does not know it).
bool refuse_weak_password(const ExchangePtr& ex, std::string_view password, std::string_view email,
                          std::string_view field);

Response with_retry_after(Response r, std::int64_t seconds);
// 503 overloaded: the argon2id workers' queue is full.
Response busy();
// 423 account_locked or 429 rate_limited for a limiter decision that is not "allowed" (and
// the failure counted in the metrics).
Response limited(const ExchangePtr& ex, const auth::LoginLimiter::Decision& d);

// Answers once this gateway's read models hold what `outcome` revoked, so the caller's next
// request with a revoked access token is refused here at once (other gateways follow as they
// fold the log). Past config.read_wait the answer goes anyway: the revocation is recorded.
void respond_once_revoked(const ExchangePtr& ex, const v1::CommandOutcome& outcome, Response answer);

}  // namespace orderline::gateway
