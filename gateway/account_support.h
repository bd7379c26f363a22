#pragma once
// What the account routes share: e-mail normalisation and account keys, reading an account's
// state from the log, refresh-token text, and the answer that carries new tokens.
#include <optional>
#include <string>
#include <string_view>

#include <memory>

#include "domain/aggregate.h"
#include "gateway/auth_runtime.h"
#include "gateway/exchange.h"

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

// "olr1.<account_key>.<family_id>.<secret>"; the log keeps only SHA-256(secret).
struct RefreshToken {
  std::string account_key;
  std::string family_id;
  std::string secret;
  std::string text() const;
  std::string hash() const;
  static RefreshToken fresh(std::string account_key, std::string family_id);
  static std::optional<RefreshToken> parse(std::string_view text);
};

auth::Principal principal_of(const domain::AccountState& account);

// 200 {"access_token","token_type":"Bearer","expires_in","refresh_token","refresh_expires_in",
// "customer_id","roles"}
Response token_answer(const ExchangePtr& ex, const domain::AccountState& account, const RefreshToken& refresh);

}  // namespace orderline::gateway
