#pragma once
// The authentication machinery one gateway owns, built from GatewayConfig: the token
// verifier, the argon2id workers, the login limiter, the customer key store. Routes reach it
// through Exchange::auth.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/auth/passwords.h"
#include "gateway/auth/personal_data.h"
#include "gateway/auth/reset_tokens.h"
#include "gateway/server.h"

namespace orderline::gateway {

struct AuthRuntime {
  // Throws std::runtime_error on a bad configuration (unknown password cost, key store).
  AuthRuntime(const GatewayConfig& config, const Services& services);

  std::int64_t now() const { return now_s(); }
  void refused(auth::Failure reason) const {
    if (observer) observer->on_auth_failure(reason);
  }

  std::function<std::int64_t()> now_s;
  auth::AccessTokenConfig tokens;
  std::unique_ptr<auth::TokenVerifier> verifier;
  auth::PasswordCost cost;
  // Before the workers, which hand tokens to it: destroyed after they have finished.
  std::unique_ptr<auth::ResetTokenSender> owned_reset_sender;  // the file of reset_token_file
  auth::ResetTokenSender* reset_sender = nullptr;  // Services::reset_sender or owned; null: resets off
  std::unique_ptr<auth::PasswordWorkers> workers;
  auth::LoginLimiter limiter;
  std::unique_ptr<auth::CustomerKeys> owned_keys;  // opened from customer_keys_path
  auth::CustomerKeys* keys = nullptr;  // Services::customer_keys or owned_keys; null without either
  auth::AuthObserver* observer = nullptr;
  std::int64_t refresh_ttl_s = 0;
  std::int64_t reset_ttl_s = 0;
  // Checked against on unknown e-mails, so a login takes as long whether the account exists.
  std::string dummy_hash;
};

}  // namespace orderline::gateway
