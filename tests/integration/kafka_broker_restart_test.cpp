// The broker itself restarts under load (a private single-node broker of this test, started
// with scripts/kafka): gateway and processor recover by themselves, every order acknowledged
// before, during or after the outage exists exactly once, and every retry returns the first
// outcome (or, for a 504/503 during the outage, decides it once now).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "domain/aggregate.h"
#include "eventstore/position.h"
#include "gateway/request_ids.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/process.h"

#ifndef ORDERLINE_SOURCE_DIR
#define ORDERLINE_SOURCE_DIR "."
#endif

namespace orderline {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using Clock = std::chrono::steady_clock;

const std::string kScript = std::string(ORDERLINE_SOURCE_DIR) + "/scripts/kafka";

std::string order_body(const std::string& customer) {
  return R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":"COFFEE-1KG","quantity":1}]})";
}

// scripts/kafka start on the given port (0: a free one); returns "127.0.0.1:PORT".
std::string start_broker(const std::string& dir, const std::string& port) {
  int status = 0;
  const auto out = testing::run_command({kScript, "start", "--port", port, "--dir", dir}, &status);
  const std::string prefix = "ORDERLINE_KAFKA=";
  if (status != 0 || out.rfind(prefix, 0) != 0) throw std::runtime_error("scripts/kafka start failed: " + out);
  return out.substr(prefix.size(), out.find('\n') - prefix.size());
}

class KafkaBrokerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override { ORDERLINE_REQUIRE_KAFKA(); }  // CI runs it where the broker's jars are
  void TearDown() override { testing::run_command({kScript, "stop", "--dir", dir_.path() + "/kafka"}); }
  testing::TempDir dir_;
};

TEST_F(KafkaBrokerRestartTest, ProducersAndConsumersRecoverAndNothingAcknowledgedIsLost) {
  testing::KafkaDeployment deployment;
  deployment.prefix = "restart";
  deployment.partitions = 2;
  deployment.brokers_override = start_broker(dir_.path() + "/kafka", "0");
  const auto port = deployment.brokers_override.substr(deployment.brokers_override.rfind(':') + 1);

  auto processor = testing::start_processor(deployment, dir_.path(), "a");
  testing::GatewayProcess gateway(deployment, dir_.path(), 0, {"--demo-catalogue", "--command-timeout-ms", "3000"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  auto created = http.post("/api/v1/customers", R"({"email":"ada@example.com","name":"Ada"})");
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string customer(created.json().at("customer_id").as_string());

  struct Attempt {
    std::string key;
    HttpResponse first;
  };
  std::vector<Attempt> attempts;
  std::mutex attempts_mutex;
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::thread load([&] {
    HttpClient client(gateway.port());
    client.set_default_headers(testing::admin_bearer());
    for (int i = 0; !stop.load(); ++i) {
      Attempt attempt{"restart-" + std::to_string(i), {}};
      try {
        attempt.first = client.post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", attempt.key}});
      } catch (const std::exception&) {
        attempt.first.status = 0;  // no answer: as unknown as a 504
      }
      if (attempt.first.status == 201) ++acknowledged;
      std::lock_guard lock(attempts_mutex);
      attempts.push_back(std::move(attempt));
    }
  });
  auto wait_acknowledged = [&](int count) {
    const auto deadline = Clock::now() + std::chrono::seconds(180);
    while (acknowledged.load() < count && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return acknowledged.load() >= count;
  };
  ASSERT_TRUE(wait_acknowledged(20)) << gateway.output() << processor->output();

  int status = 0;
  testing::run_command({kScript, "stop", "--dir", dir_.path() + "/kafka"}, &status);
  ASSERT_EQ(status, 0);
  const int before_restart = acknowledged.load();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(start_broker(dir_.path() + "/kafka", port), deployment.brokers_override);
  const bool recovered = wait_acknowledged(before_restart + 20);
  stop.store(true);
  load.join();
  ASSERT_TRUE(recovered) << "no orders acknowledged after the broker restart\n" << gateway.output() << processor->output();

  std::set<std::string> accepted;
  eventstore::PositionVector answered;  // the census waits until the events topic shows these
  for (const auto& attempt : attempts) {
    auto retry = http.post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", attempt.key}});
    for (int i = 0; i < 20 && retry.status == 504; ++i) {
      retry = http.post("/api/v1/orders", order_body(customer), {{"Idempotency-Key", attempt.key}});
    }
    ASSERT_EQ(retry.status, 201u) << attempt.key << ": " << retry.body;
    for (const auto& answer : {attempt.first, retry}) {
      if (answer.status != 201) continue;
      auto position = eventstore::decode_position(std::string(answer.json().at("position").as_string()));
      ASSERT_TRUE(position.has_value()) << answer.body;
      answered.merge_max(*position);
    }
    if (attempt.first.status == 201) {
      EXPECT_EQ(retry.json(), attempt.first.json()) << attempt.key;
    }
    accepted.insert(domain::order_stream(
        gateway::uuid_v5(gateway::kIdNamespace, std::string("service:admin") + "\n" + attempt.key)));
  }

  std::map<std::string, int> placed;
  std::set<std::pair<std::string, std::uint64_t>> seen;
  std::size_t duplicates = 0;
  for (const auto& event : testing::read_all_events(deployment, dir_.path() + "/census", answered)) {
    if (!seen.emplace(event.envelope.stream_id(), event.envelope.stream_version()).second) ++duplicates;
    if (event.envelope.type() == "OrderPlaced") ++placed[event.envelope.stream_id()];
  }
  EXPECT_EQ(duplicates, 0u);
  for (const auto& stream : accepted) EXPECT_EQ(placed[stream], 1) << stream;
  std::cout << "[ figure ] " << attempts.size() << " orders across a broker restart, " << before_restart
            << " acknowledged before it" << std::endl;
}

}  // namespace
}  // namespace orderline
