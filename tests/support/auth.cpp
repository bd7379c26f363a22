#include "tests/support/auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <sstream>

#include "tests/support/process.h"

namespace orderline::testing {
namespace json = boost::json;

namespace {
const HeaderList kNoAuth = {{"Authorization", ""}};
}

std::string unique_email(const std::string& name) {
  static std::atomic<int> n{0};
  return name + "-" + std::to_string(++n) + "@example.com";
}

HeaderList bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
HeaderList admin_bearer() { return bearer(OrderdProcess::kAdminToken); }

Login login(HttpClient& client, const std::string& email, const std::string& password) {
  auto r = client.post("/api/v1/auth/login", json::serialize(json::object{{"email", email}, {"password", password}}),
                       kNoAuth);
  EXPECT_EQ(r.status, 200u) << "login of " << email << ": " << r.body;
  Login out;
  if (r.status != 200) return out;
  auto body = r.json();
  out.access_token = std::string(body.at("access_token").as_string());
  out.refresh_token = std::string(body.at("refresh_token").as_string());
  if (body.at("customer_id").is_string()) out.customer_id = std::string(body.at("customer_id").as_string());
  return out;
}

Login register_and_login(HttpClient& client, const std::string& email, const std::string& name,
                         const std::string& password) {
  auto r = client.post("/api/v1/auth/register",
                       json::serialize(json::object{{"email", email}, {"password", password}, {"name", name}}), kNoAuth);
  EXPECT_EQ(r.status, 201u) << "register " << email << ": " << r.body;
  return login(client, email, password);
}

Login staff_login(HttpClient& client, const std::string& email, const std::string& roles, const std::string& password) {
  json::array list;
  std::stringstream in(roles);
  for (std::string role; std::getline(in, role, ',');) list.emplace_back(role);
  auto r = client.post("/api/v1/admin/accounts",
                       json::serialize(json::object{{"email", email}, {"password", password}, {"roles", list}}),
                       admin_bearer());
  EXPECT_EQ(r.status, 201u) << "account " << email << ": " << r.body;
  return login(client, email, password);
}

}  // namespace orderline::testing
