// orderline-prefill: grows an embedded data directory to a given number of events quickly, so
// benchmarks/run can measure orderd on a large log (issue 7: throughput, p99 and memory as the
// log grows). It runs the same in-process engine as `orderd serve` (EmbeddedEngine: log,
// command bus, projector, read models) on --data-dir, seeds the demo catalogue, registers one
// customer, then submits PlaceOrder commands through the command bus, thousands in flight,
// until the log holds --events events, and waits for the read models to fold them. Afterwards
// `orderd serve --data-dir D` starts on a log (and read models) of that size. Prints one JSON
// object: events reached, orders placed, seconds, and the size of the data directory.
//
//   orderline-prefill --data-dir D --events 1000000 [--partitions 8]
//
// The saga is off, as in the runs that load this directory (`orderd serve --no-saga`), so
// each order is one OrderPlaced event.
#include <CLI/CLI.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>

#include "cli/demo_catalogue.h"
#include "cli/embedded_engine.h"
#include "domain/aggregate.h"

namespace {

using namespace orderline;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kWindow = 4096;  // commands in flight: below queue_capacity x partitions

std::uint64_t total_events(const eventstore::EventLog& log) {
  std::uint64_t total = 0;
  for (std::uint32_t p = 0; p < log.partition_count(); ++p) total += log.end_offset(p);
  return total;
}

// Keeps at most kWindow commands in flight and remembers the first problem.
struct Flight {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  std::uint64_t accepted = 0;
  std::string problem;

  void reply(const commands::CommandReply& r) {
    std::lock_guard lock(mutex);
    if (r.kind == commands::CommandReply::Kind::done && r.outcome.accepted()) {
      ++accepted;
    } else if (problem.empty()) {
      problem = r.kind == commands::CommandReply::Kind::done ? r.outcome.error_code() + ": " + r.outcome.error_detail()
                                                             : "refused (kind " + std::to_string(int(r.kind)) + ")";
    }
    --in_flight;
    changed.notify_all();
  }
  void wait_below(std::size_t limit) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return in_flight < limit; });
  }
};

void submit_and_wait(commands::CommandBus& bus, v1::Command command, Flight& flight) {
  {
    std::lock_guard lock(flight.mutex);
    ++flight.in_flight;
  }
  bus.submit(std::move(command), [&flight](commands::CommandReply r) { flight.reply(r); });
  flight.wait_below(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  std::uint64_t events = 1'000'000;
  std::uint32_t partitions = 8;
  CLI::App app{"orderline-prefill: grow an embedded data directory to N events"};
  app.add_option("--data-dir", data_dir, "data directory of orderd serve")->required();
  app.add_option("--events", events, "events the log should hold at least")->capture_default_str();
  app.add_option("--partitions", partitions, "partitions of a new log")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    cli::EngineOptions options;
    options.data_dir = data_dir;
    options.partitions = partitions;
    options.saga.enabled = false;
    cli::EmbeddedEngine engine(options);
    engine.start();
    cli::seed_demo_catalogue(engine.bus());
    if (!engine.wait_for_read_models(std::chrono::seconds(60))) throw std::runtime_error("catalogue not folded");

    Flight flight;
    std::mt19937_64 random(std::random_device{}());
    boost::uuids::basic_random_generator<std::mt19937_64> uuid(random);
    const std::string customer_id = boost::uuids::to_string(uuid());
    v1::Command registration;
    registration.set_command_id("prefill-register-" + customer_id);
    registration.set_stream_id(domain::customer_stream(customer_id));
    registration.set_expected_version(-1);
    registration.set_actor("system:prefill");
    registration.set_request_hash(registration.command_id());
    auto* body = registration.mutable_register_customer();
    body->set_customer_id(customer_id);
    body->set_email("prefill-" + customer_id.substr(0, 8) + "@example.com");
    body->set_name("Prefill");
    submit_and_wait(engine.bus(), std::move(registration), flight);
    if (!engine.wait_for_read_models(std::chrono::seconds(60))) throw std::runtime_error("customer not folded");
    if (!flight.problem.empty()) throw std::runtime_error("registration: " + flight.problem);

    static const char* const skus[] = {"COFFEE-1KG", "TEA-GREEN-250", "MUG-CLASSIC", "GRINDER-HAND"};
    const auto start = Clock::now();
    std::uint64_t submitted = 0;
    // Each placed order is one event; the end offsets are checked as the orders land.
    while (total_events(engine.log()) + flight.in_flight < events) {
      for (int i = 0; i < 1024; ++i) {
        flight.wait_below(kWindow);
        const std::string order_id = boost::uuids::to_string(uuid());
        v1::Command command;
        command.set_command_id(boost::uuids::to_string(uuid()));
        command.set_stream_id(domain::order_stream(order_id));
        command.set_expected_version(-1);
        command.set_actor("customer:" + customer_id);
        command.set_request_hash(command.command_id());
        auto* order = command.mutable_place_order();
        order->set_order_id(order_id);
        order->set_customer_id(customer_id);
        order->set_currency("EUR");
        auto* line = order->add_lines();
        line->set_sku(skus[submitted % 4]);
        line->set_quantity(1);
        {
          std::lock_guard lock(flight.mutex);
          if (!flight.problem.empty()) throw std::runtime_error("order: " + flight.problem);
          ++flight.in_flight;
        }
        engine.bus().submit(std::move(command), [&flight](commands::CommandReply r) { flight.reply(r); });
        ++submitted;
      }
    }
    flight.wait_below(1);
    const double write_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!engine.wait_for_read_models(std::chrono::hours(2))) throw std::runtime_error("read models did not catch up");
    const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
    const auto reached = total_events(engine.log());
    engine.stop();

    std::uint64_t bytes = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir)) {
      if (entry.is_regular_file()) bytes += entry.file_size();
    }
    std::printf("{\"events\":%llu,\"orders\":%llu,\"partitions\":%u,\"write_seconds\":%.2f,\"total_seconds\":%.2f,"
                "\"orders_per_s\":%.1f,\"data_dir_bytes\":%llu}\n",
                static_cast<unsigned long long>(reached), static_cast<unsigned long long>(flight.accepted), partitions,
                write_s, total_s, flight.accepted / write_s, static_cast<unsigned long long>(bytes));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "orderline-prefill: " << e.what() << std::endl;
    return 1;
  }
}
