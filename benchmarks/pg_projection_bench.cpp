// Events per second folded into the PostgreSQL read models: fills an embedded log (unsynced,
// in a scratch directory) with a realistic order mix through the real command processor, then
// times one PostgresProjector catching up from offset 0 into a fresh database of the given
// server, which it drops afterwards. One figure per run; loopback servers only.
//
//   scripts/postgres start --port 0 --dir /tmp/pg-bench      # prints ORDERLINE_PG=...
//   build/benchmarks/pg_projection_bench --pg postgresql://postgres@127.0.0.1:PORT/orderline
//       --orders 100000 --batch 16384    (one command line)
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "benchmarks/order_mix.h"
#include "benchmarks/pg_scratch_database.h"
#include "eventstore/embedded/embedded_log.h"
#include "projections/postgres/postgres_projector.h"

using namespace orderline;

int main(int argc, char** argv) {
  CLI::App app{"Events/s folded into the PostgreSQL read models"};
  std::string server;
  int orders = 100'000;
  std::size_t batch = 16384;
  std::uint32_t partitions = 8;
  app.add_option("--pg", server, "A server's DSN (a database is created and dropped in it)")
      ->envname("ORDERLINE_PG")
      ->required();
  app.add_option("--orders", orders, "Orders to place (each: placed, paid, shipped or cancelled: 3 events)");
  app.add_option("--batch", batch, "Events per PostgreSQL transaction");
  app.add_option("--partitions", partitions, "Log partitions");
  CLI11_PARSE(app, argc, argv);

  const auto dir = std::filesystem::temp_directory_path() / ("orderline-pgbench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::uint64_t events = 0;
  {
    eventstore::EmbeddedLog log({dir.string(), partitions, /*sync=*/false});
    events = bench::fill_order_mix(log, orders);
    std::cerr << "log: " << events << " events of " << orders << " orders\n";

    bench::ScratchDatabase database(server, "bench");
    {
      projections::pg::PostgresProjectorOptions options;
      options.dsn = database.dsn();
      options.batch_size = batch;
      projections::pg::PostgresProjector projector(log, options);
      if (!projector.connect_only().ok) return 1;  // migrations are not part of the figure
      const auto start = std::chrono::steady_clock::now();
      auto result = projector.catch_up();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!result.ok) {
        std::cerr << "failed: " << result.error << "\n";
        return 1;
      }
      std::cout << "pg_projection: " << result.events << " events in " << seconds << " s = "
                << static_cast<std::uint64_t>(static_cast<double>(result.events) / seconds)
                << " events/s (batch " << batch << ", " << partitions << " partitions)\n";
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
