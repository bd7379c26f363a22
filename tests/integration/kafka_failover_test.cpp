// The distributed deployment under faults, against the real broker (DESIGN rules 2-5):
//  - kill -9 of a processor under load while a second one takes its partitions: every
//    acknowledged order's events exist exactly once, no rejected order left events, every
//    retry returns the first outcome; the time until every partition serves again is logged;
//  - a gateway whose command finds no processor answers 504 outcome_unknown with the command
//    id; the processor that comes later drops the expired command, and the retry with the same
//    key places the order once;
//  - a zombie processor (a newer instance took its transactional.id) is fenced: its
//    transaction never commits, it stops, and its successor answers the retry.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "commands/kafka/kafka_command_bus.h"
#include "commands/kafka/kafka_processor.h"
#include "domain/aggregate.h"
#include "eventstore/partitioning.h"
#include "eventstore/position.h"
#include "gateway/request_ids.h"
#include "tests/support/auth.h"
#include "tests/support/engine_fixture.h"
#include "tests/support/http_client.h"
#include "tests/support/orderd_roles.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::HttpClient;
using testing::HttpResponse;
using Clock = std::chrono::steady_clock;

std::string order_body(const std::string& customer, const std::string& sku) {
  return R"({"customer_id":")" + customer + R"(","currency":"EUR","lines":[{"sku":")" + sku + R"(","quantity":1}]})";
}

std::string order_id_for_key(const std::string& key) {
  return gateway::uuid_v5(gateway::kIdNamespace, std::string("service:admin") + "\n" + key);
}

std::uint32_t partition_of_key(const std::string& key, std::uint32_t partitions) {
  return eventstore::partition_for(domain::order_stream(order_id_for_key(key)), partitions);
}

std::string new_customer(HttpClient& http) {
  auto created = http.post("/api/v1/customers", R"({"email":"ada@example.com","name":"Ada"})");
  EXPECT_EQ(created.status, 201u) << created.body;
  return std::string(created.json().at("customer_id").as_string());
}

// Adds the position of an accepted order's answer.
void merge_position(eventstore::PositionVector& into, const HttpResponse& answer) {
  if (answer.status != 201) return;
  auto position = eventstore::decode_position(std::string(answer.json().at("position").as_string()));
  ASSERT_TRUE(position.has_value()) << answer.body;
  into.merge_max(*position);
}

// Counts per stream and checks that no (stream, version) was written twice.
struct EventCensus {
  std::map<std::string, std::size_t> placed;  // stream id -> OrderPlaced events
  std::map<std::string, std::size_t> events;  // stream id -> events
  std::size_t duplicates = 0;
};

// `answered`: the positions of the answers the census must see (read_all_events waits for them).
EventCensus census(const testing::KafkaDeployment& deployment, const std::string& state_dir,
                   const eventstore::PositionVector& answered) {
  EventCensus result;
  std::set<std::pair<std::string, std::uint64_t>> seen;
  for (const auto& event : testing::read_all_events(deployment, state_dir, answered)) {
    const auto& envelope = event.envelope;
    if (!seen.emplace(envelope.stream_id(), envelope.stream_version()).second) ++result.duplicates;
    ++result.events[envelope.stream_id()];
    if (envelope.type() == "OrderPlaced") ++result.placed[envelope.stream_id()];
  }
  return result;
}

class KafkaFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    deployment_.prefix = testing::unique_topic_prefix(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  testing::TempDir dir_;
  testing::KafkaDeployment deployment_;
};

TEST_F(KafkaFailoverTest, KillNineOfAProcessorUnderLoadLosesAndDuplicatesNothing) {
  auto first = testing::start_processor(deployment_, dir_.path(), "a");
  testing::GatewayProcess gateway(deployment_, dir_.path(), 0, {"--demo-catalogue", "--command-timeout-ms", "3000"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  const auto customer = new_customer(http);

  struct Attempt {
    std::string key;
    std::string sku;
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
      Attempt attempt;
      attempt.key = "load-" + std::to_string(i);
      // Every seventh order names an unknown product: rejected, so it must leave no events.
      attempt.sku = i % 7 == 3 ? "NO-SUCH-SKU" : "COFFEE-1KG";
      attempt.first = client.post("/api/v1/orders", order_body(customer, attempt.sku), {{"Idempotency-Key", attempt.key}});
      if (attempt.first.status == 201) ++acknowledged;
      std::lock_guard lock(attempts_mutex);
      attempts.push_back(std::move(attempt));
    }
  });

  auto wait_acknowledged = [&](int count) {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (acknowledged.load() < count && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return acknowledged.load() >= count;
  };
  ASSERT_TRUE(wait_acknowledged(30)) << gateway.output() << first->output();
  auto second = testing::start_processor(deployment_, dir_.path(), "b");
  ASSERT_TRUE(wait_acknowledged(60)) << gateway.output() << second->output();

  // kill -9 of "a" in the middle of the stream: its partitions move to "b" once the group
  // notices (session timeout) and its open transaction is aborted (transaction timeout).
  ::kill(first->pid(), SIGKILL);
  const auto killed = Clock::now();
  first.reset();

  // Every partition serves again: one order per partition, retried until it is acknowledged.
  std::map<std::uint32_t, double> served_after_s;
  int probe = 0;
  HttpClient prober(gateway.port());
  prober.set_default_headers(testing::admin_bearer());
  while (served_after_s.size() < deployment_.partitions && Clock::now() - killed < std::chrono::seconds(120)) {
    for (std::uint32_t p = 0; p < deployment_.partitions; ++p) {
      if (served_after_s.count(p)) continue;
      std::string key;
      do key = "probe-" + std::to_string(probe++);
      while (partition_of_key(key, deployment_.partitions) != p);
      auto r = prober.post("/api/v1/orders", order_body(customer, "COFFEE-1KG"), {{"Idempotency-Key", key}});
      if (r.status == 201) {
        served_after_s[p] = std::chrono::duration<double>(Clock::now() - killed).count();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }
  ASSERT_EQ(served_after_s.size(), deployment_.partitions) << gateway.output() << second->output();
  double slowest = 0;
  for (const auto& [p, seconds] : served_after_s) slowest = std::max(slowest, seconds);
  std::cout << "[ figure ] all " << deployment_.partitions << " partitions served again " << slowest
            << " s after kill -9 of a processor" << std::endl;

  ASSERT_TRUE(wait_acknowledged(acknowledged.load() + 20)) << gateway.output() << second->output();
  stop.store(true);
  load.join();

  // Retries: the first outcome when there was one; otherwise (504, 503) decided once now.
  std::size_t unknown_first = 0;
  std::set<std::string> accepted_streams, rejected_streams;
  eventstore::PositionVector answered;
  for (const auto& attempt : attempts) {
    auto retry = http.post("/api/v1/orders", order_body(customer, attempt.sku), {{"Idempotency-Key", attempt.key}});
    const auto stream = domain::order_stream(order_id_for_key(attempt.key));
    if (attempt.first.status == 201 || attempt.first.status == 422) {
      EXPECT_EQ(retry.status, attempt.first.status) << attempt.key << ": " << retry.body;
      if (attempt.first.status == 201) {
        EXPECT_EQ(retry.json(), attempt.first.json()) << attempt.key << " first " << attempt.first.body << " retry "
                                                      << retry.body;
      } else {
        EXPECT_EQ(retry.code(), attempt.first.code()) << attempt.key;
      }
    } else {
      ++unknown_first;
      EXPECT_TRUE(attempt.first.status == 504 || attempt.first.status == 503)
          << attempt.key << ": " << attempt.first.status << " " << attempt.first.body;
      EXPECT_EQ(retry.status, attempt.sku == "COFFEE-1KG" ? 201u : 422u) << attempt.key << ": " << retry.body;
    }
    (retry.status == 201 ? accepted_streams : rejected_streams).insert(stream);
    merge_position(answered, attempt.first);
    merge_position(answered, retry);
  }
  std::cout << "[ figure ] " << attempts.size() << " orders under load, " << unknown_first
            << " answered 504/503 during the failover (all retried safely)" << std::endl;

  // Exactly once in the events topic, once it shows every answered write: the partitions "a"
  // owned stay behind its open transaction until the broker aborts it.
  const auto counted = census(deployment_, dir_.path() + "/census", answered);
  EXPECT_EQ(counted.duplicates, 0u);
  for (const auto& stream : accepted_streams) {
    EXPECT_EQ(counted.placed.count(stream) ? counted.placed.at(stream) : 0u, 1u) << stream;
  }
  for (const auto& stream : rejected_streams) EXPECT_EQ(counted.events.count(stream), 0u) << stream;
}

TEST_F(KafkaFailoverTest, AGatewayTimeoutIs504AndTheRetryWithTheSameKeyIsSafe) {
  deployment_.partitions = 2;
  auto processor = testing::start_processor(deployment_, dir_.path(), "a");
  testing::GatewayProcess gateway(deployment_, dir_.path(), 0, {"--demo-catalogue", "--command-timeout-ms", "1500"});
  HttpClient http(gateway.port());
  http.set_default_headers(testing::admin_bearer());
  const auto customer = new_customer(http);
  processor->stop();  // SIGTERM: it leaves the group; nobody owns the partitions now

  const std::string key = "late-1";
  auto timed_out = http.post("/api/v1/orders", order_body(customer, "COFFEE-1KG"), {{"Idempotency-Key", key}});
  ASSERT_EQ(timed_out.status, 504u) << timed_out.body;
  EXPECT_EQ(timed_out.code(), "outcome_unknown");
  EXPECT_FALSE(std::string(timed_out.json().at("command_id").as_string()).empty()) << timed_out.body;

  // The next processor finds the expired command first and drops it; the retry places the order.
  auto next = testing::start_processor(deployment_, dir_.path(), "b");
  HttpResponse placed;
  for (int i = 0; i < 60; ++i) {
    placed = http.post("/api/v1/orders", order_body(customer, "COFFEE-1KG"), {{"Idempotency-Key", key}});
    if (placed.status != 504) break;
  }
  ASSERT_EQ(placed.status, 201u) << placed.body << next->output();
  auto again = http.post("/api/v1/orders", order_body(customer, "COFFEE-1KG"), {{"Idempotency-Key", key}});
  ASSERT_EQ(again.status, 201u) << again.body;
  EXPECT_EQ(again.json(), placed.json());

  const auto stream = domain::order_stream(order_id_for_key(key));
  eventstore::PositionVector answered;
  merge_position(answered, placed);
  const auto counted = census(deployment_, dir_.path() + "/census", answered);
  EXPECT_EQ(counted.duplicates, 0u);
  EXPECT_EQ(counted.placed.count(stream) ? counted.placed.at(stream) : 0u, 1u);
}

// In process, so the fencing is deterministic: the zombie still owns every partition when its
// transactional.id is taken over, and it is the one that consumes the next command.
TEST_F(KafkaFailoverTest, AZombieProcessorIsFencedAndItsSuccessorAnswersTheRetry) {
  deployment_.partitions = 2;
  eventstore::KafkaLogOptions options;
  options.brokers = testing::kafka_brokers();
  options.topic_prefix = deployment_.prefix;
  options.partitions = deployment_.partitions;
  options.transactional_id = deployment_.prefix + ".processor.z";
  commands::KafkaProcessorOptions processor_options;
  processor_options.session_timeout = std::chrono::milliseconds(6000);

  auto zombie_options = options;
  zombie_options.state_dir = dir_.path() + "/zombie";
  auto zombie_log = std::make_unique<eventstore::KafkaEventLog>(zombie_options);
  processor_options.kafka = zombie_options;
  auto zombie = std::make_unique<commands::KafkaProcessor>(*zombie_log, testing::fixed_lookups(), processor_options);
  auto zombie_done = std::async(std::launch::async, [&] { zombie->run(); });

  commands::KafkaBusOptions bus_options;
  bus_options.kafka = options;
  bus_options.default_timeout = std::chrono::milliseconds(3000);
  commands::KafkaCommandBus bus(bus_options);
  auto send = [&](const v1::Command& command) {
    std::promise<commands::CommandReply> promise;
    auto reply = promise.get_future();
    bus.submit(command, [&promise](commands::CommandReply r) { promise.set_value(std::move(r)); });
    return reply.get();
  };
  // The first assignment takes a moment: retry until the zombie-to-be answers.
  commands::CommandReply first;
  for (int i = 0; i < 30; ++i) {
    first = send(testing::place_order("z1"));
    if (first.kind == commands::CommandReply::Kind::done) break;
  }
  ASSERT_EQ(first.kind, commands::CommandReply::Kind::done);
  ASSERT_TRUE(first.outcome.accepted()) << first.outcome.error_detail();

  // A new instance with the same transactional.id fences the old producer.
  auto successor_options = options;
  successor_options.state_dir = dir_.path() + "/successor";
  eventstore::KafkaEventLog successor_log(successor_options);

  auto unanswered = send(testing::place_order("z2"));
  EXPECT_EQ(unanswered.kind, commands::CommandReply::Kind::timed_out);
  ASSERT_EQ(zombie_done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the zombie kept running";
  EXPECT_FALSE(zombie->fatal().empty());
  zombie.reset();  // leaves the group
  zombie_log.reset();

  processor_options.kafka = successor_options;
  commands::KafkaProcessor successor(successor_log, testing::fixed_lookups(), processor_options);
  auto successor_done = std::async(std::launch::async, [&] { successor.run(); });
  commands::CommandReply retried;
  for (int i = 0; i < 30; ++i) {
    retried = send(testing::place_order("z2"));
    if (retried.kind == commands::CommandReply::Kind::done) break;
  }
  ASSERT_EQ(retried.kind, commands::CommandReply::Kind::done);
  EXPECT_TRUE(retried.outcome.accepted()) << retried.outcome.error_detail();
  EXPECT_EQ(retried.outcome.version(), 1u);
  auto again = send(testing::place_order("z1"));
  ASSERT_EQ(again.kind, commands::CommandReply::Kind::done);
  EXPECT_EQ(again.outcome.SerializeAsString(), first.outcome.SerializeAsString()) << "z1's first outcome, from the store";
  successor.stop();
  successor_done.wait();

  eventstore::PositionVector answered;
  for (const auto* outcome : {&first.outcome, &retried.outcome}) answered.merge_max({{{outcome->partition(), outcome->offset()}}});
  auto counted = census(deployment_, dir_.path() + "/census", answered);
  EXPECT_EQ(counted.duplicates, 0u);
  EXPECT_EQ(counted.placed[domain::order_stream("z1")], 1u);
  EXPECT_EQ(counted.placed[domain::order_stream("z2")], 1u);
}

}  // namespace
}  // namespace orderline
