#include "cli/auth_setup.h"
#include "cli/data_dir_layout.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "domain/aggregate.h"
#include "gateway/account_support.h"
#include "gateway/auth/passwords.h"
#include "gateway/auth/principal.h"
#include "gateway/request_ids.h"

namespace orderline::cli {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string load_or_create_secret(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for the token secret");
    const std::string temporary = path + ".tmp";
    {
      std::ofstream out(temporary, std::ios::trunc);
      out << gateway::hex(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes)) << "\n";
      if (!out) throw std::runtime_error("cannot write " + temporary);
    }
    ::chmod(temporary.c_str(), 0600);
    std::filesystem::rename(temporary, path);
  }
  auto secret = read_first_line(path);
  if (secret.size() < 32) throw std::runtime_error("the token secret in " + path + " is shorter than 32 bytes");
  return secret;
}

void ensure_account(commands::CommandBus& bus, const std::string& email, const std::string& password,
                    const std::vector<std::string>& roles, const std::string& password_cost) {
  const auto normalised = gateway::normalise_email(email);
  if (!gateway::plausible_email(normalised)) throw std::runtime_error("not an e-mail address: " + email);
  const auto problems = auth::password_problems(password, normalised);
  if (!problems.empty()) throw std::runtime_error("the password of " + email + " " + problems.front());
  auto cost = auth::PasswordCost::named(password_cost);
  auto hash = cost ? auth::hash_password(password, *cost) : std::nullopt;
  if (!hash) throw std::runtime_error("cannot hash the password of " + email);
  const auto key = gateway::account_key_for(normalised);
  v1::Command command;
  command.set_command_id("ensure-account-" + key);
  command.set_stream_id(domain::account_stream(key));
  command.set_expected_version(-1);
  command.set_actor("system:orderd");
  command.set_request_hash(command.command_id());
  auto* body = command.mutable_register_account();
  body->set_account_key(key);
  body->set_password_hash(*hash);
  for (const auto& r : roles) body->add_roles(r);
  std::promise<commands::CommandReply> promise;
  auto answer = promise.get_future();
  bus.submit(command, [&promise](commands::CommandReply reply) { promise.set_value(std::move(reply)); });
  auto reply = answer.get();
  if (reply.kind != commands::CommandReply::Kind::done) throw std::runtime_error("cannot record the account " + email);
  // A retried command id answers with its first outcome; an existing account answers
  // already_exists: both leave the account as it was.
  if (!reply.outcome.accepted() && reply.outcome.error_code() != domain::codes::already_exists) {
    throw std::runtime_error("the account " + email + " was refused: " + reply.outcome.error_detail());
  }
}

void configure_gateway_auth(const ServeConfig& config, gateway::GatewayConfig& gateway_config) {
  gateway_config.access_tokens.secret = load_or_create_secret(
      config.token_secret_file.empty() ? config.data_dir + "/" + data_dir::kTokenSecret : config.token_secret_file);
  gateway_config.access_tokens.ttl_s = config.access_token_ttl_s;
  gateway_config.refresh_ttl_s = config.refresh_token_ttl_s;
  gateway_config.reset_ttl_s = config.reset_token_ttl_s;
  gateway_config.reset_token_file = config.data_dir + "/" + data_dir::kResetTokens;
  gateway_config.password_cost = config.password_cost;
  gateway_config.password_threads = config.password_threads;
  gateway_config.login_limits.per_address_per_minute = config.login_per_address;
  gateway_config.login_limits.per_account_per_minute = config.login_per_account;
  gateway_config.login_limits.lockout_failures = config.lockout_failures;
  gateway_config.login_limits.lockout_s = config.lockout_seconds;
  gateway_config.cors_origins = config.cors_origins;
  gateway_config.customer_keys_path = config.data_dir + "/" + data_dir::kCustomerKeys;
  if (!config.oidc_issuer.empty()) {
    if (config.oidc_jwks.empty()) throw std::runtime_error("--oidc-issuer needs --oidc-jwks");
    gateway_config.oidc.issuer = config.oidc_issuer;
    gateway_config.oidc.audience = config.oidc_audience;
    gateway_config.oidc.jwks = config.oidc_jwks;
    gateway_config.oidc.customer_claim = config.oidc_customer_claim;
    for (const auto& entry : config.oidc_roles) {
      const auto eq = entry.find('=');
      if (eq == std::string::npos || !auth::role_from_name(entry.substr(eq + 1))) {
        throw std::runtime_error("--oidc-role wants provider-role=customer|staff|ops|analyst|admin, not " + entry);
      }
      gateway_config.oidc.role_map.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  if (config.admin_token.empty()) spdlog::info("no --admin-token: no admin service token");
}

void ensure_staff_account(commands::CommandBus& bus, const ServeConfig& config) {
  if (config.staff_account.empty()) return;
  if (config.staff_password_file.empty()) throw std::runtime_error("--staff-account needs --staff-password-file");
  std::vector<std::string> roles;
  std::stringstream list(config.staff_roles);
  for (std::string role; std::getline(list, role, ',');) roles.push_back(role);
  ensure_account(bus, config.staff_account, read_first_line(config.staff_password_file), roles, config.password_cost);
  spdlog::info("staff account {} is registered", config.staff_account);
}

}  // namespace orderline::cli
