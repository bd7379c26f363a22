// rebuild_bench: time to rebuild every projection from a log of N events (issue 4's targets:
// 1M events in at most 10 s into RocksDB and 60 s into PostgreSQL), through the code path of
// `orderctl projections rebuild NAME`: the engine's ProjectionOperations::rebuild, which folds
// version N+1 beside the live one on its own thread and swaps it in once caught up.
//
// It fills an embedded log (unsynced, in a scratch directory under $ORDERLINE_BENCH_DIR) with
// the order mix of order_mix.h (placed, paid, shipped or cancelled: 3 events per order), opens
// an EmbeddedEngine on it (saga off; with --pg, PostgreSQL read models in a throw-away
// database), waits until the live read models have folded the whole log (that first fold is
// timed too: it is what a fresh `orderd serve` on this log does), then rebuilds each projection
// in turn, one at a time, and times each from the rebuild's start to its swap, as the
// rebuild's own status reports them. Prints one JSON object on stdout.
//
//   rebuild_bench --events 1000000 [--pg postgresql://postgres@127.0.0.1:PORT/orderline]
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "benchmarks/order_mix.h"
#include "benchmarks/pg_scratch_database.h"
#include "benchmarks/scratch_dir.h"
#include "cli/data_dir_layout.h"
#include "cli/embedded_engine.h"
#include "cli/logging.h"

namespace {

using namespace orderline;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds of every thread of this process so far: on a shared machine the wall time of a
// rebuild depends on what else runs, its CPU time much less (the live projectors are idle
// meanwhile; RocksDB's own flushes and compactions count, as they are part of the rebuild).
double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::optional<projections::ProjectionStatus> status_of(projections::ProjectionOperations& operations,
                                                      const std::string& name) {
  for (auto& status : operations.list()) {
    if (status.name == name) return status;
  }
  return std::nullopt;
}

// Waits until the live PostgreSQL read models have folded the whole log (they connect and
// migrate first, on their own thread).
void wait_for_postgres(projections::ProjectionOperations& operations, std::uint64_t events) {
  for (;;) {
    for (const auto& status : operations.list()) {
      if (status.sink != "postgres") continue;
      if (status.state == "failed" || status.state == "stopped") throw std::runtime_error("postgres: " + status.error);
      std::uint64_t folded = 0;
      for (auto c : status.checkpoints) folded += c;
      if (folded >= events) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Timed {
  std::string name;
  std::string sink;
  double seconds = 0;
  double cpu_seconds = 0;
  std::uint64_t folded = 0;
};

// Rebuilds one projection and waits for its swap; the time is the rebuild's own (start to swap).
Timed rebuild(projections::ProjectionOperations& operations, const std::string& name, const std::string& sink) {
  const double cpu_before = process_cpu_seconds();
  const auto started = operations.rebuild(name);
  if (started.code != projections::OperationResult::Code::ok) {
    throw std::runtime_error("rebuild " + name + ": " + started.detail);
  }
  for (;;) {
    const auto status = status_of(operations, name);
    if (status && status->rebuild && status->rebuild->finished_at_us != 0) {
      const auto& r = *status->rebuild;
      if (r.state != "done") throw std::runtime_error("rebuild " + name + " " + r.state + ": " + r.error);
      return {name, sink, static_cast<double>(r.finished_at_us - r.started_at_us) / 1e6,
              process_cpu_seconds() - cpu_before, r.folded};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = 1'000'000;
  std::uint32_t partitions = 8;
  std::string pg_server;
  CLI::App app{"rebuild_bench: time to rebuild every projection from a log of N events"};
  app.add_option("--events", events, "events in the log (3 per order, rounded up)")->capture_default_str();
  app.add_option("--partitions", partitions, "log partitions")->capture_default_str();
  app.add_option("--pg", pg_server, "a loopback PostgreSQL server's DSN (a database is created and dropped)");
  CLI11_PARSE(app, argc, argv);
  cli::setup_logging("warn", "rebuild_bench");  // stderr; stdout is the JSON result

  try {
    bench::ScratchDir dir;
    const auto fill_started = Clock::now();
    std::uint64_t logged = 0;
    {
      eventstore::EmbeddedLog log({dir.path() + "/" + cli::data_dir::kLog, partitions, /*sync=*/false});
      logged = bench::fill_order_mix(log, static_cast<int>((events + 2) / 3));
    }
    const double fill_s = seconds_since(fill_started);
    std::cerr << "rebuild_bench: log of " << logged << " events in " << fill_s << " s\n";

    std::optional<bench::ScratchDatabase> database;
    if (!pg_server.empty()) database.emplace(pg_server, "rebuild");
    cli::EngineOptions options;
    options.data_dir = dir.path();
    options.partitions = partitions;
    options.saga.enabled = false;
    if (database) options.postgres_dsn = database->dsn();
    cli::EmbeddedEngine engine(options);

    const auto live_started = Clock::now();
    engine.start();
    if (!engine.wait_for_read_models(std::chrono::hours(1))) throw std::runtime_error("live read models did not catch up");
    const double live_rocksdb_s = seconds_since(live_started);
    auto& operations = engine.projection_operations();
    if (database) wait_for_postgres(operations, logged);
    const double live_all_s = seconds_since(live_started);
    std::cerr << "rebuild_bench: live read models folded the log in " << live_all_s << " s\n";

    std::vector<Timed> timed;
    for (const auto& status : operations.list()) {
      timed.push_back(rebuild(operations, status.name, status.sink));
      std::cerr << "rebuild_bench: " << status.sink << " " << status.name << " rebuilt in " << timed.back().seconds
                << " s\n";
    }
    engine.stop();

    double rocksdb_s = 0, postgres_s = 0, rocksdb_cpu_s = 0;
    std::string items;
    for (const auto& t : timed) {
      (t.sink == "postgres" ? postgres_s : rocksdb_s) += t.seconds;
      if (t.sink != "postgres") rocksdb_cpu_s += t.cpu_seconds;
      char item[256];
      std::snprintf(item, sizeof item,
                    "%s{\"name\":\"%s\",\"sink\":\"%s\",\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"events\":%llu}",
                    items.empty() ? "" : ",", t.name.c_str(), t.sink.c_str(), t.seconds, t.cpu_seconds,
                    static_cast<unsigned long long>(t.folded));
      items += item;
    }
    std::printf("{\"events\":%llu,\"partitions\":%u,\"fill_seconds\":%.2f,\"live_fold_rocksdb_seconds\":%.3f,"
                "\"live_fold_seconds\":%.3f,\"rocksdb_rebuild_seconds\":%.3f,\"rocksdb_rebuild_cpu_seconds\":%.3f,\"postgres_rebuild_seconds\":%s,"
                "\"postgres_events_per_s\":%s,\"target_rocksdb_seconds\":10,\"target_postgres_seconds\":60,"
                "\"rebuilds\":[%s]}\n",
                static_cast<unsigned long long>(logged), partitions, fill_s, live_rocksdb_s, live_all_s, rocksdb_s, rocksdb_cpu_s,
                database ? std::to_string(postgres_s).c_str() : "null",
                database && postgres_s > 0 ? std::to_string(static_cast<double>(logged) / postgres_s).c_str() : "null",
                items.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rebuild_bench: " << e.what() << std::endl;
    return 1;
  }
}
