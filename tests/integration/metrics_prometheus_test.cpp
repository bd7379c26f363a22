// A real Prometheus server (Debian's /usr/bin/prometheus) on a loopback port scrapes a
// running orderd and answers a query for one of its metrics through the HTTP API; it also
// loads the alert rules of deploy/prometheus. Every wait is bounded.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERLINE_SOURCE_DIR
#error "ORDERLINE_SOURCE_DIR must point at the source tree"
#endif

namespace orderline {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;  // Prometheus starts in ~1 s and scrapes every 1 s here

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// Calls `probe` every 100 ms until it returns true or kWait passes.
bool eventually(const std::function<bool()>& probe) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// "- alert:" entries of deploy/prometheus/rules/*.yml.
std::size_t alert_rules_in_files() {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ORDERLINE_SOURCE_DIR) + "/deploy/prometheus/rules")) {
    if (entry.path().extension() != ".yml") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) count += line.find("- alert:") != std::string::npos;
  }
  return count;
}

TEST(MetricsPrometheus, ScrapesOrderdAndAnswersAQuery) {
  testing::TempDir dir;
  testing::OrderdProcess orderd(dir.path() + "/data");
  testing::HttpClient http(orderd.port());
  http.set_default_headers(testing::admin_bearer());
  auto customer = http.post("/api/v1/customers", R"({"email":"p@example.com","name":"P"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  constexpr int kOrders = 3;
  for (int i = 0; i < kOrders; ++i) {
    auto r = http.post("/api/v1/orders",
                       R"({"customer_id":")" + customer_id + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})",
                       {{"Idempotency-Key", "prom-" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201u) << r.body;
  }

  const auto port = testing::free_loopback_port();
  const auto config = dir.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "rule_files:\n"
                           "  - " << ORDERLINE_SOURCE_DIR << "/deploy/prometheus/rules/*.yml\n"
                           "scrape_configs:\n"
                           "  - job_name: orderd\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:" << orderd.port() << "']\n";
  testing::ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + config,
                                    "--storage.tsdb.path=" + dir.path() + "/tsdb",
                                    "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                                   dir.path() + "/prometheus.log");

  testing::HttpClient api(port);

  api.set_default_headers(testing::admin_bearer());
  auto get = [&](const std::string& target) -> testing::HttpResponse {
    try {
      return api.get(target);
    } catch (const std::exception&) {
      return {};  // not listening yet
    }
  };
  ASSERT_TRUE(eventually([&] { return get("/-/ready").status == 200; }) && prometheus.running())
      << prometheus.output();

  // The value Prometheus scraped, once a scrape has happened.
  std::string answer;
  const std::string query = R"(sum(orderline_commands_total{type="place_order",result="accepted"}))";
  ASSERT_TRUE(eventually([&] {
    auto r = get("/api/v1/query?query=" + url_encode(query));
    answer = r.body;
    if (r.status != 200) return false;
    const auto body = r.json();
    return !body.at("data").at("result").as_array().empty();
  })) << answer << "\n" << prometheus.output();
  const auto scraped = json::parse(answer);
  EXPECT_EQ(scraped.at("data").at("result").as_array().at(0).at("value").as_array().at(1).as_string(),
            std::to_string(kOrders))
      << answer;

  auto up = get("/api/v1/query?query=" + url_encode(R"(up{job="orderd"})"));
  ASSERT_EQ(up.status, 200u) << up.body;
  EXPECT_EQ(up.json().at("data").at("result").as_array().at(0).at("value").as_array().at(1).as_string(), "1");

  // The server loaded every alert rule of deploy/prometheus.
  auto rules = get("/api/v1/rules?type=alert");
  ASSERT_EQ(rules.status, 200u) << rules.body;
  const auto rules_body = rules.json();
  std::size_t alerts = 0;
  for (const auto& group : rules_body.at("data").at("groups").as_array()) alerts += group.at("rules").as_array().size();
  EXPECT_EQ(alerts, alert_rules_in_files()) << rules.body;
}

}  // namespace
}  // namespace orderline
