#pragma once
// One order placed and read back through a running orderd's HTTP API (serve or gateway): proves
// a deployment works end to end over whatever connects it to its log (SASL, TLS, ...).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"

namespace orderline::testing {

// Registers a customer `email`, places an order of COFFEE-1KG with `idempotency_key` and reads
// it back with after=<its position>: status placed (the deployment must run without the saga,
// which would move it on). Fails the test, with the server's answer, on any other outcome.
inline void place_and_read_back(std::uint16_t port, const std::string& email, const std::string& idempotency_key) {
  HttpClient http(port);
  http.set_default_headers(admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":")" + email + R"(","name":"Test"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto placed = http.post("/api/v1/orders",
                          R"({"customer_id":")" + customer_id +
                              R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                          {{"Idempotency-Key", idempotency_key}});
  ASSERT_EQ(placed.status, 201u) << placed.body;
  const auto body = placed.json();
  auto view = http.get("/api/v1/orders/" + std::string(body.at("order_id").as_string()) +
                       "?after=" + std::string(body.at("position").as_string()));
  ASSERT_EQ(view.status, 200u) << view.body;
  EXPECT_EQ(view.json().at("status").as_string(), "placed");
}

}  // namespace orderline::testing
