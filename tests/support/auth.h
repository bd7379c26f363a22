#pragma once
// Authenticating in tests the way users do. One line adapts a test written before accounts:
//
//   client.set_default_headers(testing::admin_bearer());        // the admin service token
//   auto ada = testing::register_and_login(client, "ada@example.com");
//   client.set_default_headers(testing::bearer(ada.access_token));  // act as that customer
//
// Servers under test run with --password-cost min (OrderdProcess does), so these are fast.
#include <string>

#include "tests/support/http_client.h"

namespace orderline::testing {

inline constexpr const char* kTestPassword = "correct horse battery staple";

struct Login {
  std::string access_token;
  std::string refresh_token;
  std::string customer_id;  // empty for staff accounts
};

// "<name>-<n>@example.com", a new n on every call: an address no earlier test of the process used.
std::string unique_email(const std::string& name);

// {"Authorization": "Bearer <token>"}
HeaderList bearer(const std::string& token);
// The admin service token every OrderdProcess is started with (--admin-token).
HeaderList admin_bearer();

// POST /api/v1/auth/login; fails the current test (and returns empty tokens) when refused.
Login login(HttpClient& client, const std::string& email, const std::string& password = kTestPassword);
// Registers a customer account and logs it in.
Login register_and_login(HttpClient& client, const std::string& email, const std::string& name = "Test Customer",
                         const std::string& password = kTestPassword);
// Creates an account with these roles (comma-separated, e.g. "staff" or "ops,analyst") through
// the admin service token, and logs it in.
Login staff_login(HttpClient& client, const std::string& email, const std::string& roles,
                  const std::string& password = kTestPassword);

}  // namespace orderline::testing
