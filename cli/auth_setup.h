#pragma once
// Start-up pieces of authentication for `orderd serve`: the access-token secret kept per data
// directory, and the staff account that scripts/run asks for.
#include <string>
#include <vector>

#include "cli/serve_config.h"
#include "commands/command_bus.h"
#include "gateway/server.h"

namespace orderline::cli {

// The secret in `path`, made (64 random hex characters, mode 0600) when the file is missing.
// Throws std::runtime_error when it cannot be read or made, or is shorter than 32 bytes.
std::string load_or_create_secret(const std::string& path);

// Registers the account unless one exists for the e-mail (an existing account keeps its
// password and roles). Throws std::runtime_error when the engine refuses it.
void ensure_account(commands::CommandBus& bus, const std::string& email, const std::string& password,
                    const std::vector<std::string>& roles, const std::string& password_cost);

// The authentication settings of serve's flags (token secret, password hashing, login
// limits, CORS, OIDC) onto a gateway's configuration: `orderd serve` and `orderd gateway`.
// Throws std::runtime_error on inconsistent flags.
void configure_gateway_auth(const ServeConfig& config, gateway::GatewayConfig& gateway_config);

// --staff-account with --staff-password-file and --staff-roles: ensure_account; nothing
// without --staff-account.
void ensure_staff_account(commands::CommandBus& bus, const ServeConfig& config);

// The first line of a file (a password or token), without its line ending.
std::string read_first_line(const std::string& path);

}  // namespace orderline::cli
