#pragma once
// The server an e2e suite runs against, chosen by ORDERLINE_E2E_EVENT_LOG, so one suite runs
// in every deployment (ctest registers it once per mode, e.g. api_test_kafka):
//   unset        `orderd serve` on the embedded log
//   kafka        `orderd serve --event-log kafka://...` on topics of its own (needs ORDERLINE_KAFKA)
//   distributed  `orderd processor` + `orderd gateway` on topics of their own: commands over
//                Kafka, the gateway's read models (and WebSocket hub) fed from the events topic
//
//   testing::E2eServer server(dir.path(), "stream", {"--no-saga"});
//   HttpClient http(server.port());
//
// `serve_args` go to `orderd serve`, or to the gateway (which takes serve's flags); the
// distributed deployment runs `orderd saga` unless they hold --no-saga, and its gateway seeds
// the demo catalogue.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/kafka.h"
#include "tests/support/orderd_roles.h"
#include "tests/support/process.h"

namespace orderline::testing {

inline std::string e2e_mode() {
  const char* mode = std::getenv("ORDERLINE_E2E_EVENT_LOG");
  return mode != nullptr ? mode : "";
}

class E2eServer {
 public:
  // `hint` names the topics (unique per server); throws when the server does not start, or a
  // Kafka mode is asked for without ORDERLINE_KAFKA.
  E2eServer(const std::string& dir, const std::string& hint, std::vector<std::string> serve_args = {})
      : mode_(e2e_mode()), dir_(dir) {
    if (!mode_.empty() && kafka_brokers().empty()) {
      throw std::runtime_error("ORDERLINE_E2E_EVENT_LOG=" + mode_ + " needs ORDERLINE_KAFKA");
    }
    if (mode_ == "distributed") {
      KafkaDeployment deployment{unique_topic_prefix(hint + "-distributed"), 4};
      // The saga runs as `orderd saga` beside processors that mark new orders for it, unless
      // the suite asks for none.
      const bool saga = std::find(serve_args.begin(), serve_args.end(), "--no-saga") == serve_args.end();
      processor_ = start_processor(deployment, dir, hint, saga ? std::vector<std::string>{"--saga"}
                                                               : std::vector<std::string>{});
      if (saga) saga_ = start_saga(deployment, dir);
      deployment_ = deployment;
      gateway_args_ = serve_args;
      serve_args.push_back("--demo-catalogue");
      gateway_ = std::make_unique<GatewayProcess>(deployment, dir, 0, serve_args);
      wait_for_seeded_catalogue();
      return;
    }
    if (mode_ == "kafka") {
      serve_args.insert(serve_args.end(),
                        {"--event-log", "kafka://" + kafka_brokers() + "?prefix=" + unique_topic_prefix(hint)});
    } else if (!mode_.empty()) {
      throw std::runtime_error("ORDERLINE_E2E_EVENT_LOG=" + mode_ + ": expected kafka or distributed");
    }
    serve_ = std::make_unique<OrderdProcess>(dir + "/data", serve_args);
  }

  const std::string& mode() const { return mode_; }
  bool distributed() const { return mode_ == "distributed"; }
  std::uint16_t port() const { return serve_ ? serve_->port() : gateway_->port(); }
  // SIGTERM to the HTTP server (`orderd serve` or the gateway).
  void terminate() {
    if (serve_) serve_->terminate();
    else ::kill(gateway_->process().pid(), SIGTERM);
  }
  std::string output() const {
    if (serve_) return serve_->output();
    return gateway_->output() + processor_->output() + (saga_ ? saga_->output() : "");
  }
  OrderdProcess* serve() { return serve_.get(); }  // null in the distributed mode
  // The data directory of the HTTP server (`orderd serve`, or the first gateway).
  std::string http_data_dir() const { return serve_ ? dir_ + "/data" : dir_ + "/gateway-0"; }

  // Distributed mode only: one more `orderd gateway` on the same topics (the next reply
  // partition, the same flags, its own data directory and read models); returns its port.
  std::uint16_t add_gateway() {
    if (!distributed()) throw std::logic_error("add_gateway: only the distributed deployment has gateways");
    const auto reply_partition = static_cast<std::uint32_t>(more_gateways_.size() + 1);
    more_gateways_.push_back(std::make_unique<GatewayProcess>(deployment_, dir_, reply_partition, gateway_args_));
    return more_gateways_.back()->port();
  }

 private:
  // The gateway listens once the seed is acknowledged; its read models fold the seed a moment
  // later (`orderd serve` waits for its own before it listens).
  void wait_for_seeded_catalogue() {
    HttpClient client(gateway_->port());
    // Every product of cli/demo_catalogue.cpp: they live on different partitions.
    for (const char* sku : {"COFFEE-1KG", "TEA-GREEN-250", "MUG-CLASSIC", "GRINDER-HAND", "FILTER-PAPER-100"}) {
      int tries = 0;
      while (client.get(std::string("/api/v1/products/") + sku).status != 200) {
        if (++tries > 1200) {
          throw std::runtime_error(std::string("the gateway's read models never showed the seeded ") + sku + ":\n" +
                                   output());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  std::string mode_;
  std::string dir_;
  std::unique_ptr<OrderdProcess> serve_;
  std::unique_ptr<ChildProcess> processor_;
  std::unique_ptr<ChildProcess> saga_;
  std::unique_ptr<GatewayProcess> gateway_;
  KafkaDeployment deployment_;
  std::vector<std::string> gateway_args_;
  std::vector<std::unique_ptr<GatewayProcess>> more_gateways_;
};

}  // namespace orderline::testing
