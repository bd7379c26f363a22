#include "cli/auth_setup.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>

#include "domain/aggregate.h"
#include "gateway/account_support.h"
#include "gateway/auth/passwords.h"
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

}  // namespace orderline::cli
