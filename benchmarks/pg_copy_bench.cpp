// pg_copy_bench: PostgreSQL's bulk-load rate, the ceiling of what any writer (Orderline's
// PostgreSQL projector, or the peer's event store) can put into this server (benchmarks/run,
// issue 7). It creates a throw-away schema with a table shaped like the orders read model
// (projections/postgres/migrations/002_orders_v1.sql: the same columns, primary key and
// indexes), streams --rows rows into it with COPY (libpqxx stream_to) in one transaction, and
// times it up to the commit. Prints one JSON object; drops the schema at the end.
//
//   pg_copy_bench --pg postgresql://postgres@127.0.0.1:5432/orderline --rows 200000
#include <pqxx/pqxx>
#include <pqxx/stream_to>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <tuple>

namespace {

using Clock = std::chrono::steady_clock;

bool loopback_dsn(const std::string& dsn) {
  const auto at = dsn.find('@');
  const auto host = dsn.substr(at == std::string::npos ? dsn.find("//") + 2 : at + 1);
  return host.rfind("127.", 0) == 0 || host.rfind("localhost", 0) == 0 || host.rfind("[::1]", 0) == 0;
}

// Order and customer ids like Orderline's (UUID text), in random order like real inserts.
std::string uuid_like(std::mt19937_64& rng) {
  char text[40];
  const auto a = rng(), b = rng();
  std::snprintf(text, sizeof text, "%08llx-%04llx-5%03llx-8%03llx-%012llx", (unsigned long long)(a >> 32),
                (unsigned long long)((a >> 16) & 0xffff), (unsigned long long)(a & 0xfff),
                (unsigned long long)(b >> 52), (unsigned long long)(b & 0xffffffffffffULL));
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dsn;
  long rows = 200000;
  CLI::App app{"pg_copy_bench: COPY rows/s into a table shaped like the orders read model"};
  app.add_option("--pg", dsn, "postgresql:// DSN of a loopback server")->required();
  app.add_option("--rows", rows, "rows to copy")->capture_default_str()->check(CLI::Range(1L, 100000000L));
  CLI11_PARSE(app, argc, argv);
  if (!loopback_dsn(dsn)) {
    std::cerr << "pg_copy_bench: only a loopback server may be loaded" << std::endl;
    return 2;
  }
  try {
    std::mt19937_64 rng(std::random_device{}());
    const std::string schema = "copy_bench_" + std::to_string(rng() % 1000000000);
    pqxx::connection conn(dsn);
    {
      pqxx::work tx(conn);
      tx.exec0("CREATE SCHEMA " + schema);
      tx.exec0("CREATE TABLE " + schema +
               ".orders (order_id text PRIMARY KEY, customer_id text NOT NULL, status text NOT NULL, "
               "payment_status text NOT NULL, fulfillment_status text NOT NULL, currency text NOT NULL, "
               "total_minor bigint NOT NULL, version bigint NOT NULL, created_at timestamptz NOT NULL, "
               "updated_at timestamptz NOT NULL, log_partition integer NOT NULL, log_offset bigint NOT NULL)");
      tx.exec0("CREATE INDEX ON " + schema + ".orders (customer_id, created_at DESC)");
      tx.exec0("CREATE INDEX ON " + schema + ".orders (created_at)");
      tx.commit();
    }
    // Rows are built outside the timing.
    std::vector<std::tuple<std::string, std::string>> ids;
    ids.reserve(static_cast<std::size_t>(rows));
    for (long i = 0; i < rows; ++i) ids.emplace_back(uuid_like(rng), uuid_like(rng));
    const std::string now = "2026-11-29 10:00:00+00";

    const auto start = Clock::now();
    {
      pqxx::work tx(conn);
      pqxx::stream_to stream(tx, schema + ".orders",
                             std::vector<std::string>{"order_id", "customer_id", "status", "payment_status",
                                                      "fulfillment_status", "currency", "total_minor", "version",
                                                      "created_at", "updated_at", "log_partition", "log_offset"});
      for (long i = 0; i < rows; ++i) {
        const auto& [order, customer] = ids[static_cast<std::size_t>(i)];
        stream << std::make_tuple(order, customer, "placed", "not_paid", "unfulfilled", "EUR", 1999L, 1L, now, now,
                                  static_cast<int>(i % 8), i / 8);
      }
      stream.complete();
      tx.commit();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    {
      pqxx::work tx(conn);
      tx.exec0("DROP SCHEMA " + schema + " CASCADE");
      tx.commit();
    }
    std::printf("{\"rows\":%ld,\"seconds\":%.3f,\"rows_per_s\":%.1f,\"table\":\"like orderline_v1.orders "
                "(primary key + 2 indexes)\",\"server_version\":%d,\"libpqxx\":\"%s\"}\n",
                rows, seconds, rows / seconds, conn.server_version(), PQXX_VERSION);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "pg_copy_bench: " << e.what() << std::endl;
    return 1;
  }
}
