// Durable place-order commands per second through the embedded write path, in process:
// LocalCommandBus -> PartitionProcessor (decide, envelope, outcome) -> EmbeddedLog (RocksDB,
// WAL fsynced before a reply). No HTTP, no projector: the ceiling the gateway builds on.
//
// Every iteration submits kOrdersPerIteration PlaceOrder commands (new order, new stream,
// unique command id, like POST /orders with a fresh Idempotency-Key), keeps at most kWindow
// of them in flight (below queue_capacity * partitions, so the bus never refuses one), and
// waits for every reply. items_per_second is the figure: commands acknowledged durably per
// second of wall time. A refused or rejected command fails the benchmark: it would mean we
// measured something else than accepted, durable orders.
//
//   BM_PlaceOrder                 the bus as orderd configures it by default
//   BM_PlaceOrder_MaxBatch/N      max_batch = 1, 64, 512: what group commit buys
//
// The log lives in a fresh directory under $ORDERLINE_BENCH_DIR (default: the system temporary
// directory); put it on the disk you want to measure, never on tmpfs (fsync would be free).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/scratch_dir.h"
#include "commands/local_command_bus.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/embedded_log.h"

namespace {

using namespace orderline;

constexpr std::uint32_t kPartitions = 8;
constexpr std::size_t kOrdersPerIteration = 20'000;
constexpr std::size_t kWindow = 8'192;

using bench::ScratchDir;

// The order handler's view of the catalogue: a few active EUR products; every customer exists.
commands::Lookups bench_lookups() {
  static const std::map<std::string, domain::ProductSnapshot, std::less<>> products = [] {
    std::map<std::string, domain::ProductSnapshot, std::less<>> all;
    const std::pair<const char*, std::int64_t> entries[] = {
        {"COFFEE-1KG", 1999}, {"TEA-GREEN-250", 899}, {"MUG-CLASSIC", 1250}, {"GRINDER-HAND", 4900}};
    for (const auto& [sku, price] : entries) {
      domain::ProductSnapshot snapshot;
      snapshot.sku = sku;
      snapshot.name = std::string("Product ") + sku;
      snapshot.price.set_amount_minor(price);
      snapshot.price.set_currency("EUR");
      snapshot.active = true;
      all.emplace(sku, std::move(snapshot));
    }
    return all;
  }();
  commands::Lookups lookups;
  lookups.catalogue = [](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    auto it = products.find(sku);
    if (it == products.end()) return std::nullopt;
    return it->second;
  };
  lookups.customer_exists = [](std::string_view) { return true; };
  lookups.now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return lookups;
}

// CPU seconds used so far by every thread of this process.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

using UuidGenerator = boost::uuids::basic_random_generator<std::mt19937_64>;

// What the gateway would submit for POST /orders: a new order id, a command id, the stream of
// the order, any version, and the hash of the request body.
std::vector<v1::Command> make_orders(std::size_t count, UuidGenerator& uuid) {
  static const char* const skus[] = {"COFFEE-1KG", "TEA-GREEN-250", "MUG-CLASSIC", "GRINDER-HAND"};
  std::vector<v1::Command> commands;
  commands.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string order_id = boost::uuids::to_string(uuid());
    v1::Command command;
    command.set_command_id(boost::uuids::to_string(uuid()));
    command.set_stream_id(domain::order_stream(order_id));
    command.set_expected_version(-1);
    command.set_actor("customer:bench");
    command.set_correlation_id(command.command_id());
    command.set_request_hash(std::string(32, static_cast<char>('a' + i % 26)));
    auto* body = command.mutable_place_order();
    body->set_order_id(order_id);
    body->set_customer_id("bench-customer");
    body->set_currency("EUR");
    auto* line = body->add_lines();
    line->set_sku(skus[i % 4]);
    line->set_quantity(1 + static_cast<int>(i % 3));
    commands.push_back(std::move(command));
  }
  return commands;
}

// Counts replies and keeps the window of commands in flight. The hot path is atomics; the
// mutex is only taken to sleep or to wake the submitter.
struct Flight {
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};   // overloaded, shutting_down, timed_out, failed
  std::atomic<std::uint64_t> rejected{0};  // done but not accepted: the bench is misconfigured
  std::string first_problem;               // under mutex

  void reply(const commands::CommandReply& reply) {
    if (reply.kind != commands::CommandReply::Kind::done) {
      ++refused;
      note("reply kind " + std::to_string(static_cast<int>(reply.kind)) + ": " + reply.outcome.error_detail());
    } else if (!reply.outcome.accepted()) {
      ++rejected;
      note("rejected " + reply.outcome.error_code() + ": " + reply.outcome.error_detail());
    } else {
      ++accepted;
    }
    const std::size_t before = in_flight.fetch_sub(1);
    if (before == kWindow || before == 1) {
      std::lock_guard lock(mutex);
      changed.notify_all();
    }
  }
  void note(std::string problem) {
    std::lock_guard lock(mutex);
    if (first_problem.empty()) first_problem = std::move(problem);
  }
  void wait_below(std::size_t limit) {
    if (in_flight.load() < limit) return;
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return in_flight.load() < limit; });
  }
  void wait_all() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return in_flight.load() == 0; });
  }
};

void run_place_orders(benchmark::State& state, commands::LocalBusOptions options) {
  ScratchDir dir;
  eventstore::EmbeddedLogOptions log_options;
  log_options.path = dir.path();
  log_options.partitions = kPartitions;
  log_options.sync = true;
  eventstore::EmbeddedLog log(log_options);
  if (kWindow > options.queue_capacity * kPartitions) {
    state.SkipWithError("window exceeds the bus's total queue capacity");
    return;
  }
  commands::LocalCommandBus bus(log, bench_lookups(), options);
  std::mt19937_64 random(std::random_device{}());
  UuidGenerator uuid(random);
  Flight flight;
  double cpu_seconds = 0;  // of the whole process, inside the timed part only

  for (auto _ : state) {
    state.PauseTiming();
    auto commands = make_orders(kOrdersPerIteration, uuid);
    const double cpu_before = process_cpu_seconds();
    state.ResumeTiming();
    for (auto& command : commands) {
      flight.wait_below(kWindow);
      ++flight.in_flight;
      bus.submit(std::move(command), [&flight](commands::CommandReply reply) { flight.reply(reply); });
    }
    flight.wait_all();
    cpu_seconds += process_cpu_seconds() - cpu_before;
    if (flight.refused.load() != 0 || flight.rejected.load() != 0) {
      std::lock_guard lock(flight.mutex);
      std::cerr << "command_bus_bench: " << flight.refused.load() << " refused and " << flight.rejected.load()
                << " rejected commands; first: " << flight.first_problem << std::endl;
      state.SkipWithError("commands were refused or rejected: not a clean measurement");
      break;
    }
  }
  bus.drain_and_stop();
  state.SetItemsProcessed(static_cast<std::int64_t>(flight.accepted.load()));
  // CPU per command explains the ceiling: on C cores no more than C / cpu_per_command fit.
  const double accepted = static_cast<double>(std::max<std::uint64_t>(flight.accepted.load(), 1));
  state.counters["cpu_us_per_command"] = cpu_seconds * 1e6 / accepted;
  state.counters["cpu_cores_used"] = benchmark::Counter(cpu_seconds, benchmark::Counter::kIsRate);
  state.counters["partitions"] = kPartitions;
  state.counters["max_batch"] = static_cast<double>(options.max_batch);
  state.counters["window"] = kWindow;
  state.counters["refused"] = static_cast<double>(flight.refused.load());
  state.counters["rejected"] = static_cast<double>(flight.rejected.load());
}

// The bus exactly as orderd builds it by default.
void BM_PlaceOrder(benchmark::State& state) { run_place_orders(state, commands::LocalBusOptions{}); }

void BM_PlaceOrder_MaxBatch(benchmark::State& state) {
  commands::LocalBusOptions options;
  options.max_batch = static_cast<std::size_t>(state.range(0));
  run_place_orders(state, options);
}

BENCHMARK(BM_PlaceOrder)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlaceOrder_MaxBatch)
    ->ArgName("max_batch")
    ->Arg(1)
    ->Arg(64)
    ->Arg(512)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
