#include "gateway/auth_runtime.h"

#include "projections/read_models.h"

#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

namespace orderline::gateway {

namespace {
std::int64_t wall_clock_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

AuthRuntime::AuthRuntime(const GatewayConfig& config, const Services& services)
    : now_s(services.now_s ? services.now_s : wall_clock_s),
      tokens(config.access_tokens),
      limiter(config.login_limits),
      observer(services.auth_observer),
      refresh_ttl_s(config.refresh_ttl_s),
      reset_ttl_s(config.reset_ttl_s) {
  if (tokens.secret.empty()) {
    tokens.secret.resize(32);
    RAND_bytes(reinterpret_cast<unsigned char*>(tokens.secret.data()), 32);
  } else if (tokens.secret.size() < 32) {
    throw std::runtime_error("the access-token secret must be at least 32 bytes");
  }
  auto named = auth::PasswordCost::named(config.password_cost);
  if (!named) throw std::runtime_error("unknown password cost '" + config.password_cost + "' (interactive, moderate, min)");
  cost = *named;
  auth::VerifierConfig verifier_config;
  verifier_config.local = tokens;
  verifier_config.service_token = config.admin_token;
  verifier_config.oidc = config.oidc;
  if (const auto* read_models = services.read_models) {
    verifier_config.revoked_in_log = [read_models](const auth::Principal& p, std::int64_t iat) {
      if (p.account_key.empty()) return false;  // OIDC and service tokens: their provider revokes them
      if (!p.session_id.empty() && read_models->session_revoked(p.account_key, p.session_id)) return true;
      return iat <= read_models->account_revoked_before_s(p.account_key);
    };
  }
  verifier = std::make_unique<auth::TokenVerifier>(std::move(verifier_config), now_s);
  workers = std::make_unique<auth::PasswordWorkers>(config.password_threads, config.password_queue);
  keys = services.customer_keys;
  if (keys == nullptr && !config.customer_keys_path.empty()) {
    owned_keys = std::make_unique<auth::CustomerKeys>(config.customer_keys_path);
    keys = owned_keys.get();
  }
  reset_sender = services.reset_sender;
  if (reset_sender == nullptr && !config.reset_token_file.empty()) {
    owned_reset_sender = std::make_unique<auth::FileResetTokenSender>(config.reset_token_file);
    reset_sender = owned_reset_sender.get();
  }
  dummy_hash = auth::hash_password("not a password of anyone", cost).value_or("");
}

}  // namespace orderline::gateway
