#pragma once
// The distributed deployment's processes for tests: `orderd processor`, `orderd gateway` and
// `orderd saga` on a Kafka prefix of the test's own, and a reader that counts what the events topic holds.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/position.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka.h"

#ifndef ORDERD_PATH
#define ORDERD_PATH "orderd"
#endif

namespace orderline::testing {

// One Kafka deployment of a test: its URL and the flags every role takes.
struct KafkaDeployment {
  std::string prefix;
  std::uint32_t partitions = 4;
  std::string brokers_override{};  // a broker of the test's own; empty: ORDERLINE_KAFKA
  std::string brokers() const { return brokers_override.empty() ? kafka_brokers() : brokers_override; }
  std::string url() const { return "kafka://" + brokers() + "?prefix=" + prefix; }
};

// `orderd processor` with a stable instance id; pid() for kill -9 / SIGSTOP.
inline std::unique_ptr<ChildProcess> start_processor(const KafkaDeployment& deployment, const std::string& dir,
                                                     const std::string& instance_id,
                                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {ORDERD_PATH,   "processor",  "--event-log", deployment.url(),
                                   "--partitions", std::to_string(deployment.partitions),
                                   "--data-dir",   dir + "/processor-" + instance_id,
                                   "--instance-id", instance_id, "--log-level", "info"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(argv, dir + "/processor-" + instance_id + ".log");
}

// `orderd saga` (its data in dir/saga: checkpoints, time-outs, payments.ledger); the
// processors must run with --saga for it to have orders to move. pid() for kill -9; a
// restart after one gets another `log_name`, so the first run's output stays readable.
// A second instance (a standby) needs a `data_name` of its own.
inline std::string saga_data_dir(const std::string& dir, const std::string& data_name = "saga") {
  return dir + "/" + data_name;
}
inline std::unique_ptr<ChildProcess> start_saga(const KafkaDeployment& deployment, const std::string& dir,
                                                std::vector<std::string> extra = {},
                                                const std::string& log_name = "saga",
                                                const std::string& data_name = "saga") {
  std::vector<std::string> argv = {ORDERD_PATH,  "saga",     "--event-log", deployment.url(), "--partitions",
                                   std::to_string(deployment.partitions), "--data-dir", saga_data_dir(dir, data_name),
                                   "--log-level", "info"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(argv, dir + "/" + log_name + ".log");
}

// The port a role wrote to its --port-file once listening; 0 when it exited first or wrote
// nothing within a minute.
inline std::uint16_t wait_for_port_file(const std::string& port_file, ChildProcess& process) {
  for (int i = 0; i < 1200 && !std::filesystem::exists(port_file); ++i) {
    if (!process.running()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int port = 0;
  std::ifstream(port_file) >> port;
  return static_cast<std::uint16_t>(port);
}

// `orderd gateway`; returns once it has written its port file (it is then serving).
class GatewayProcess {
 public:
  GatewayProcess(const KafkaDeployment& deployment, const std::string& dir, std::uint32_t reply_partition,
                 std::vector<std::string> extra = {}) {
    const std::string name = dir + "/gateway-" + std::to_string(reply_partition);
    const std::string port_file = name + ".port";
    std::filesystem::remove(port_file);
    std::vector<std::string> argv = {ORDERD_PATH, "gateway", "--event-log", deployment.url(), "--partitions",
                                     std::to_string(deployment.partitions), "--data-dir", name, "--port", "0",
                                     "--port-file", port_file, "--reply-partition", std::to_string(reply_partition),
                                     "--admin-token", "test-admin-token", "--password-cost", "min", "--login-per-address", "100000",
                                     "--log-level", "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(argv, name + ".log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!std::filesystem::exists(port_file)) {
      if (!process_->running()) throw std::runtime_error("orderd gateway exited during start-up:\n" + output());
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("orderd gateway did not start:\n" + output());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(port_file);
    int port = 0;
    in >> port;
    port_ = static_cast<std::uint16_t>(port);
  }
  std::uint16_t port() const { return port_; }
  std::string output() const { return process_->output(); }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

// Every committed event of a deployment, read back through a read-only log on a fresh index.
//
// `visible`: positions of answered writes (merged); the read starts only once the events
// topic shows all of them, bounded by a minute (then it throws). A read_committed reader sees
// nothing past a partition's last stable offset, and that can trail an acknowledged commit: by
// the moments the broker takes to write the commit markers, and, after a processor was killed
// with a transaction open, until the broker aborts that transaction (transaction.timeout.ms
// plus its abort check interval, 10-20 s) -- which holds back every later commit of the
// partition's new owner too. Reading earlier would call those commits missing.
struct StoredEvent {
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
  v1::EventEnvelope envelope;
};

inline std::vector<StoredEvent> read_all_events(const KafkaDeployment& deployment, const std::string& state_dir,
                                                const eventstore::PositionVector& visible = {}) {
  eventstore::KafkaLogOptions options;
  options.brokers = deployment.brokers();
  options.topic_prefix = deployment.prefix;
  options.partitions = deployment.partitions;
  options.state_dir = state_dir;
  options.read_only = true;
  eventstore::KafkaEventLog log(options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const auto& [p, offset] : visible.offsets) {
    while (log.end_offset(p) < offset) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("the events topic's partition " + std::to_string(p) + " stayed at last stable offset " +
                                 std::to_string(log.end_offset(p)) + ", below the answered position " +
                                 std::to_string(offset));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::vector<StoredEvent> events;
  for (std::uint32_t p = 0; p < deployment.partitions; ++p) {
    std::uint64_t from = 0;
    const std::uint64_t end = log.end_offset(p);
    while (from < end) {
      auto records = log.read(p, from, 10'000);
      if (!records) throw std::runtime_error("reading the events topic: " + records.detail);
      if (records.value->empty()) break;
      for (const auto& record : *records.value) {
        StoredEvent event;
        event.partition = p;
        event.offset = record.offset;
        if (!event.envelope.ParseFromString(record.value)) throw std::runtime_error("undecodable event");
        events.push_back(std::move(event));
      }
      from = records.value->back().offset + 1;
    }
  }
  return events;
}

}  // namespace orderline::testing
