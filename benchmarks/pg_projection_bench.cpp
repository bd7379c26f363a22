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
#include <pqxx/pqxx>

#include "commands/command_processor.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/partitioning.h"
#include "projections/postgres/postgres_projector.h"

namespace {

using namespace orderline;

commands::Lookups lookups() {
  commands::Lookups l;
  l.catalogue = [](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
    domain::ProductSnapshot p;
    p.sku = std::string(sku);
    p.name = "Product " + p.sku;
    p.price.set_amount_minor(sku == "SKU-1" ? 1999 : 450);
    p.price.set_currency("EUR");
    p.active = true;
    return p;
  };
  l.customer_exists = [](std::string_view) { return true; };
  static std::int64_t now = 1'764'000'000'000'000;
  l.now_us = [] { return now += 60'000'000; };  // a minute apart: spreads orders over days
  return l;
}

v1::Command command_for(int i, int step) {
  v1::Command c;
  const auto id = "bench-" + std::to_string(i);
  c.set_stream_id(domain::order_stream(id));
  c.set_expected_version(-1);
  c.set_command_id(id + "-" + std::to_string(step));
  c.set_request_hash(std::to_string(step));
  if (step == 0) {
    auto* body = c.mutable_place_order();
    body->set_order_id(id);
    body->set_customer_id("cust-" + std::to_string(i % 5000));
    body->set_currency("EUR");
    auto* line = body->add_lines();
    line->set_sku("SKU-1");
    line->set_quantity(1 + i % 3);
    if (i % 2) {
      line = body->add_lines();
      line->set_sku("SKU-2");
      line->set_quantity(2);
    }
    return c;
  }
  v1::OrderAction action;
  action.set_order_id(id);
  if (step == 1) *c.mutable_pay_order() = action;
  else if (step == 2 && i % 4 == 3) *c.mutable_cancel_order() = action;  // paid, then cancelled
  else *c.mutable_ship_order() = action;
  return c;
}

}  // namespace

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
    std::vector<std::unique_ptr<commands::PartitionProcessor>> processors;
    for (std::uint32_t p = 0; p < partitions; ++p) {
      processors.push_back(std::make_unique<commands::PartitionProcessor>(p, log, lookups(), commands::ProcessorOptions{}));
    }
    constexpr int kChunk = 2000;
    for (int first = 0; first < orders; first += kChunk) {
      for (int step = 0; step < 3; ++step) {
        std::vector<std::vector<v1::Command>> per_partition(partitions);
        for (int i = first; i < std::min(orders, first + kChunk); ++i) {
          auto c = command_for(i, step);
          per_partition[eventstore::partition_for(c.stream_id(), partitions)].push_back(std::move(c));
        }
        for (std::uint32_t p = 0; p < partitions; ++p) {
          if (!per_partition[p].empty()) processors[p]->process(per_partition[p]);
        }
      }
    }
    for (std::uint32_t p = 0; p < partitions; ++p) events += log.end_offset(p);
    std::cerr << "log: " << events << " events of " << orders << " orders\n";

    const std::string database = "orderline_bench_" + std::to_string(::getpid());
    auto dsn = server;
    const auto slash = dsn.find('/', dsn.find("://") + 3);
    dsn = dsn.substr(0, slash) + "/" + database;
    pqxx::connection admin(server);
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + database);
    {
      projections::pg::PostgresProjectorOptions options;
      options.dsn = dsn;
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
    pqxx::nontransaction(admin).exec("DROP DATABASE " + database + " WITH (FORCE)");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
