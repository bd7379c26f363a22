// The Kafka client metrics against the real broker (ORDERLINE_KAFKA): librdkafka's statistics
// of the event log's transactional producer become round-trip and queue gauges with plausible
// values, its commits and aborts are counted, and `orderd processor` serves them with the
// consumer lag of its partitions on its operator port, beside /healthz and /readyz, with the
// command metrics of `orderd serve` (and the gateway its round trip) and the run-time log level.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/position.h"
#include "observability/metrics.h"
#include "observability/metrics_text.h"
#include "tests/support/auth.h"
#include "tests/support/deploy_metric_names.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

using namespace std::chrono_literals;
using observability::has_sample;
using observability::matches;
using observability::parse_metrics_text;
using observability::Sample;
using observability::sum_of;

eventstore::NewRecord event(const std::string& stream_id, std::uint64_t version, std::string body) {
  v1::EventEnvelope envelope;
  envelope.set_event_id(stream_id + "-" + std::to_string(version));
  envelope.set_stream_id(stream_id);
  envelope.set_stream_version(version);
  envelope.set_type("TestEvent");
  envelope.set_payload(std::move(body));
  return {stream_id, envelope.SerializeAsString(), version};
}

// The samples of `name` whose client label starts with `client_prefix`.
std::vector<Sample> of_client(const std::vector<Sample>& samples, const std::string& name,
                              const std::string& client_prefix) {
  std::vector<Sample> out;
  for (const auto& s : samples) {
    if (s.name == name && s.labels.count("client") && s.labels.at("client").rfind(client_prefix, 0) == 0) {
      out.push_back(s);
    }
  }
  return out;
}

// Every metric whose name starts with `prefix` that an alert rule or a dashboard panel uses
// is in `text` (a /metrics answer); returns how many there are.
int expect_deploy_names_exported(const std::string& text, std::string_view prefix) {
  int names = 0;
  for (const auto& name : testing::metric_names_used_in_deploy(std::string(ORDERLINE_SOURCE_DIR) + "/deploy")) {
    if (!name.starts_with(prefix)) continue;
    ++names;
    EXPECT_NE(text.find("# TYPE " + name + " "), std::string::npos) << name << " is used but not exported";
  }
  return names;
}

// Renders until `ready` holds (librdkafka sends statistics once per interval), at most 20 s.
template <typename Render, typename Ready>
std::vector<Sample> wait_for(Render render, Ready ready) {
  std::vector<Sample> samples;
  for (int i = 0; i < 200; ++i) {
    samples = parse_metrics_text(render());
    if (ready(samples)) break;
    std::this_thread::sleep_for(100ms);
  }
  return samples;
}

TEST(KafkaMetrics, EventLogProducerRoundTripQueueAndTransactions) {
  ORDERLINE_REQUIRE_KAFKA();
  testing::TempDir dir;
  observability::Metrics metrics;
  eventstore::set_kafka_statistics_observer(metrics.kafka_statistics());
  eventstore::KafkaLogOptions options;
  options.brokers = testing::kafka_brokers();
  options.topic_prefix = testing::unique_topic_prefix("metrics");
  options.partitions = 2;
  options.state_dir = dir.path() + "/index";
  options.statistics_interval = 200ms;
  // Above the topic's max.message.bytes (1 MB by default): librdkafka sends such a record and
  // the broker refuses it, which aborts the transaction.
  options.max_message_bytes = 3'000'000;
  options.append_observer = metrics.appends();  // as `orderd serve` on Kafka sets it
  eventstore::KafkaEventLog log(options);
  metrics.set_kafka_transactions_source([&log] { return log.transaction_counts(); });

  // First an append the broker refuses (after which the log replaces its producer), then
  // appends that commit.
  eventstore::AppendBatch huge;
  huge.records.push_back(event("s-huge", 1, std::string(2'000'000, 'y')));
  ASSERT_FALSE(log.append(0, huge)) << "the broker should refuse a 2 MB record";
  constexpr int kAppends = 6;
  for (int i = 1; i <= kAppends; ++i) {
    eventstore::AppendBatch batch;
    batch.records.push_back(event("s-" + std::to_string(i), 1, std::string(100, 'x')));
    auto appended = log.append(static_cast<std::uint32_t>(i % 2), batch);
    ASSERT_TRUE(appended) << appended.detail;
  }

  // The producer in use: librdkafka numbers its clients in creation order (producer-N).
  const std::string producer = "orderline-event-log#producer";
  auto newest = [&](const std::vector<Sample>& s) {
    std::string name;
    int highest = -1;
    for (const auto& queued : of_client(s, "orderline_kafka_producer_queue_messages", producer)) {
      const auto& client = queued.labels.at("client");
      const int n = std::stoi(client.substr(client.rfind('-') + 1));
      if (n > highest) highest = n, name = client;
    }
    return name;
  };
  // Statistics come while the producer is polled: by appends (a window that ends inside one
  // counts its records in the queue), and by the wait loops when idle, which must report the
  // queue empty once every append has been flushed.
  const auto samples = wait_for(
      [&] {
        log.wait_any({log.end_offset(0), log.end_offset(1)}, 50ms);
        return metrics.render();
      },
      [&](const std::vector<Sample>& s) {
        const auto current = newest(s);
        return !current.empty() && !of_client(s, "orderline_kafka_broker_rtt_avg_seconds", current).empty() &&
               sum_of(s, "orderline_kafka_producer_queue_messages", {{"client", current}}) == 0;
      });

  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "committed"}}), kAppends);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "aborted"}}), 1);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "unknown"}}), 0);
  // Every append is timed, the refused one counted as a failure.
  EXPECT_EQ(sum_of(samples, "orderline_event_log_append_duration_seconds_count"), kAppends + 1);
  EXPECT_EQ(sum_of(samples, "orderline_event_log_append_failures_total"), 1);

  const auto rtt_avg = of_client(samples, "orderline_kafka_broker_rtt_avg_seconds", producer);
  const auto rtt_p99 = of_client(samples, "orderline_kafka_broker_rtt_p99_seconds", producer);
  ASSERT_FALSE(rtt_avg.empty()) << metrics.render();
  ASSERT_EQ(rtt_avg.size(), rtt_p99.size());
  for (std::size_t i = 0; i < rtt_avg.size(); ++i) {
    // A loopback broker: more than nothing, far less than a second; p99 at or above the mean.
    EXPECT_GT(rtt_avg[i].value, 0) << rtt_avg[i].labels.at("broker");
    EXPECT_LT(rtt_avg[i].value, 1.0);
    EXPECT_GE(rtt_p99[i].value, rtt_avg[i].value);
    EXPECT_NE(rtt_avg[i].labels.at("broker").find(":"), std::string::npos) << "host:port/node-id";
  }
  // Idle, with every append flushed: nothing is left in the producer's queue.
  const auto current = newest(samples);
  ASSERT_FALSE(current.empty());
  EXPECT_EQ(sum_of(samples, "orderline_kafka_producer_queue_messages", {{"client", current}}), 0) << current;
  EXPECT_EQ(sum_of(samples, "orderline_kafka_producer_queue_bytes", {{"client", current}}), 0) << current;
  eventstore::unset_kafka_statistics_observer(metrics.kafka_statistics());
}

class ProcessorOperatorPort : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    deployment_.prefix = testing::unique_topic_prefix("procmetrics");
    deployment_.partitions = 3;
  }

  // Starts the processor with its operator port on a free loopback port; returns that port.
  std::uint16_t start_processor(std::vector<std::string> extra = {}) {
    const auto port_file = dir_.path() + "/processor.port";
    std::vector<std::string> flags = {"--metrics-listen", "127.0.0.1:0", "--port-file", port_file,
                                      "--kafka-statistics-ms", "200"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    processor_ = testing::start_processor(deployment_, dir_.path(), "m1", flags);
    const auto port = testing::wait_for_port_file(port_file, *processor_);
    EXPECT_GT(port, 0) << processor_->output();
    return port;
  }

  // /readyz until it answers 200 (at most 30 s); a 503 meanwhile must say why.
  testing::HttpResponse wait_until_ready(testing::HttpClient& ops) {
    testing::HttpResponse ready;
    for (int i = 0; i < 600; ++i) {
      ready = ops.get("/readyz");
      if (ready.status == 200u) break;
      EXPECT_EQ(ready.status, 503u) << ready.body;
      EXPECT_FALSE(ready.json().at("reason").as_string().empty()) << ready.body;
      std::this_thread::sleep_for(50ms);
    }
    return ready;
  }

  testing::TempDir dir_;
  testing::KafkaDeployment deployment_;
  std::unique_ptr<testing::ChildProcess> processor_;
};

TEST_F(ProcessorOperatorPort, ReadyOnceItOwnsPartitionsAndExportsKafkaMetrics) {
  const auto port = start_processor();
  ASSERT_GT(port, 0);
  testing::HttpClient ops(port);
  EXPECT_EQ(ops.get("/healthz").status, 200u);
  // Not ready until the group has assigned its partitions and their restore is done; then the
  // answer names every check.
  const auto ready = wait_until_ready(ops);
  ASSERT_EQ(ready.status, 200u) << ready.body << processor_->output();
  const auto checks = ready.json().at("checks").as_object();
  EXPECT_EQ(checks.at("kafka").as_string(), "ok");
  EXPECT_EQ(checks.at("processor").as_string(), "ok");
  EXPECT_EQ(checks.at("partitions").as_string(), "ok");
  // No API on the operator port.
  EXPECT_EQ(ops.get("/api/v1/products").status, 404u);
  EXPECT_EQ(ops.post("/api/v1/orders", "{}").status, 404u);

  // Commands through a gateway: the processor commits them in transactions.
  testing::GatewayProcess gateway(deployment_, dir_.path(), 0);
  testing::HttpClient api(gateway.port());
  api.set_default_headers(testing::admin_bearer());
  // The gateway's own /readyz probes the brokers too.
  const auto gateway_ready = api.get("/readyz");
  EXPECT_EQ(gateway_ready.status, 200u) << gateway_ready.body;
  EXPECT_EQ(gateway_ready.json().at("checks"), boost::json::parse(R"({"kafka":"ok","read_models":"ok"})"))
      << gateway_ready.body;
  constexpr int kCustomers = 5;
  for (int i = 0; i < kCustomers; ++i) {
    auto r = api.post("/api/v1/customers", R"({"email":"k)" + std::to_string(i) + R"(@example.com","name":"K"})");
    ASSERT_EQ(r.status, 201u) << r.body;
  }

  const std::string commands_topic = deployment_.prefix + ".commands";
  const auto samples = wait_for([&] { return ops.get("/metrics").body; },
                                [&](const std::vector<Sample>& s) {
                                  int lag_series = 0;
                                  for (const auto& sample : s) {
                                    if (sample.name == "orderline_kafka_consumer_lag" &&
                                        matches(sample, {{"topic", commands_topic}}) && sample.value == 0) {
                                      ++lag_series;
                                    }
                                  }
                                  return lag_series == 3 &&
                                         !of_client(s, "orderline_kafka_broker_rtt_avg_seconds", "orderline-processor")
                                              .empty();
                                });
  // One transaction per batch of commands: at least one, at most one per command.
  const double committed = sum_of(samples, "orderline_kafka_transactions_total", {{"result", "committed"}});
  EXPECT_GE(committed, 1);
  EXPECT_LE(committed, kCustomers);
  EXPECT_EQ(sum_of(samples, "orderline_kafka_transactions_total", {{"result", "aborted"}}), 0);
  // Every partition of the commands topic is assigned to this lone processor, and all it was
  // sent has been consumed: lag 0 on each of the three.
  int lag_series = 0;
  for (const auto& s : samples) {
    if (s.name == "orderline_kafka_consumer_lag" && matches(s, {{"topic", commands_topic}})) {
      ++lag_series;
      EXPECT_EQ(s.value, 0) << s.labels.at("partition");
    }
  }
  EXPECT_EQ(lag_series, 3) << ops.get("/metrics").body;
  for (const auto& rtt : of_client(samples, "orderline_kafka_broker_rtt_avg_seconds", "orderline-processor")) {
    EXPECT_GT(rtt.value, 0);
    EXPECT_LT(rtt.value, 1.0);
  }
  EXPECT_TRUE(has_sample(samples, "orderline_kafka_producer_queue_messages"));
  EXPECT_TRUE(has_sample(samples, "orderline_process_resident_memory_bytes"));

  // Every Kafka metric an alert rule or a dashboard panel uses is exported here.
  const auto text = ops.get("/metrics").body;
  EXPECT_GE(expect_deploy_names_exported(text, "orderline_kafka_"), 4);

  const auto path = dir_.path() + "/metrics.txt";
  std::ofstream(path) << text;
  int status = -1;
  const auto problems = testing::run_command({"/bin/sh", "-c", "promtool check metrics < '" + path + "' 2>&1"}, &status);
  EXPECT_EQ(status, 0) << problems;
  EXPECT_EQ(problems, "") << problems;
}

TEST_F(ProcessorOperatorPort, NoMetricsRecordsNothingButStillAnswersHealth) {
  const auto port = start_processor({"--no-metrics"});
  ASSERT_GT(port, 0);
  testing::HttpClient ops(port);
  EXPECT_EQ(ops.get("/healthz").status, 200u);
  EXPECT_EQ(ops.get("/metrics").status, 404u);
  const auto ready = ops.get("/readyz");
  EXPECT_TRUE(ready.status == 200u || ready.status == 503u) << ready.body;
  EXPECT_TRUE(ready.json().at("checks").as_object().contains("kafka")) << ready.body;
}

// The command metrics of `orderd serve` come from the processor in a distributed deployment,
// under the same names (so the dashboards and alert rules work unchanged), and the gateway
// times the round trip under its own. Accepted and rejected commands move them by exactly as
// many as were sent.
TEST_F(ProcessorOperatorPort, CommandsAreCountedByTheProcessorAndTimedByTheGateway) {
  const auto port = start_processor();
  ASSERT_GT(port, 0);
  testing::HttpClient ops(port);
  ASSERT_EQ(wait_until_ready(ops).status, 200u) << processor_->output();
  // No demo catalogue: the processor decides only the commands below.
  testing::GatewayProcess gateway(deployment_, dir_.path(), 0, {"--no-demo-catalogue"});
  testing::HttpClient api(gateway.port());
  api.set_default_headers(testing::admin_bearer());

  constexpr int kAccepted = 4;
  constexpr int kRejected = 2;
  auto create = [&](int n) {
    return api.post("/api/v1/admin/products", R"({"sku":"M-)" + std::to_string(n) +
                                                  R"(","name":"Mug","price":{"amount_minor":900,"currency":"EUR"},"stock":3})");
  };
  eventstore::PositionVector answered;
  for (int i = 1; i <= kAccepted; ++i) {
    const auto r = create(i);
    ASSERT_EQ(r.status, 201u) << r.body;
    auto position = eventstore::decode_position(std::string(r.json().at("position").as_string()));
    ASSERT_TRUE(position) << r.body;
    answered.merge_max(*position);
  }
  // The same SKUs again (new command ids): decided and refused by the processor.
  std::string code;
  for (int i = 1; i <= kRejected; ++i) {
    const auto r = create(i);
    ASSERT_EQ(r.status, 409u) << r.body;
    code = r.code();
  }
  ASSERT_FALSE(code.empty());

  // The processor counts a batch once its transaction has committed, a moment after the reply
  // may have reached the gateway: read until every command is in.
  constexpr int kCommands = kAccepted + kRejected;
  const auto processor = wait_for([&] { return ops.get("/metrics").body; },
                                  [&](const std::vector<Sample>& s) {
                                    return sum_of(s, "orderline_commands_total") >= kCommands &&
                                           sum_of(s, "orderline_command_batch_size_sum") >= kCommands;
                                  });
  const observability::LabelFilter create_product = {{"type", "create_product"}};
  EXPECT_EQ(sum_of(processor, "orderline_commands_total"), kCommands);
  EXPECT_EQ(sum_of(processor, "orderline_commands_total", {{"type", "create_product"}, {"result", "accepted"}, {"code", ""}}),
            kAccepted);
  EXPECT_EQ(sum_of(processor, "orderline_commands_total", {{"type", "create_product"}, {"result", "rejected"}, {"code", code}}),
            kRejected);
  EXPECT_EQ(sum_of(processor, "orderline_command_duration_seconds_count", create_product), kCommands);
  EXPECT_GT(sum_of(processor, "orderline_command_duration_seconds_sum", create_product), 0);
  // Every command went through a committed transaction; none aborted. A batch is one
  // partition's part of a transaction, timed as that transaction: as many appends as batches,
  // and at least one batch per transaction.
  EXPECT_EQ(sum_of(processor, "orderline_command_batch_size_sum"), kCommands);
  const double batches = sum_of(processor, "orderline_command_batch_size_count");
  const double transactions = sum_of(processor, "orderline_kafka_transactions_total", {{"result", "committed"}});
  EXPECT_GE(transactions, 1);
  EXPECT_GE(batches, transactions);
  EXPECT_LE(batches, kCommands);
  EXPECT_EQ(sum_of(processor, "orderline_event_log_append_duration_seconds_count"), batches);
  EXPECT_EQ(sum_of(processor, "orderline_event_log_append_failures_total"), 0);
  // Events appended: exactly what the events topic holds (only these commands wrote any).
  const auto events = testing::read_all_events(deployment_, dir_.path() + "/census", answered);
  EXPECT_GE(events.size(), static_cast<std::size_t>(kAccepted));
  EXPECT_EQ(sum_of(processor, "orderline_events_appended_total"), static_cast<double>(events.size()));

  // The gateway: its own names, the same counts, and none of the processor's series.
  const auto gateway_text = api.get("/metrics").body;
  const auto at_gateway = parse_metrics_text(gateway_text);
  EXPECT_GE(expect_deploy_names_exported(gateway_text, "orderline_gateway_"), 1);
  EXPECT_EQ(sum_of(at_gateway, "orderline_gateway_commands_total", {{"type", "create_product"}, {"result", "accepted"}}),
            kAccepted);
  EXPECT_EQ(sum_of(at_gateway, "orderline_gateway_commands_total",
                   {{"type", "create_product"}, {"result", "rejected"}, {"code", code}}),
            kRejected);
  EXPECT_EQ(sum_of(at_gateway, "orderline_gateway_commands_total"), kCommands);
  EXPECT_EQ(sum_of(at_gateway, "orderline_gateway_command_duration_seconds_count", create_product), kCommands);
  EXPECT_EQ(sum_of(at_gateway, "orderline_commands_total"), 0);
}

// The processor's operator port takes the run-time log level, under serve's rule.
TEST_F(ProcessorOperatorPort, LogLevelChangesAtRunTimeWithAnOpsToken) {
  const auto port = start_processor({"--admin-token", "processor-admin-token"});
  ASSERT_GT(port, 0);
  testing::HttpClient ops(port);
  auto r = ops.request("PUT", "/api/v1/admin/log-level", R"({"level":"debug"})");
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(r.code(), "unauthorized");
  const testing::HeaderList admin = {{"Authorization", "Bearer processor-admin-token"}};
  r = ops.request("PUT", "/api/v1/admin/log-level", R"({"level":"debug"})", admin);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), boost::json::parse(R"({"level":"debug","previous":"info"})"));
  r = ops.request("PUT", "/api/v1/admin/log-level", R"({"level":"warn"})", admin);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), boost::json::parse(R"({"level":"warn","previous":"debug"})"));
  EXPECT_NE(processor_->output().find("log level set to debug"), std::string::npos) << processor_->output();
}

}  // namespace
}  // namespace orderline
