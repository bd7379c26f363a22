#include "projections/postgres/migrations.h"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <set>

namespace orderline::projections::pg {
namespace {

// Any constant both orderd and a migration tool agree on; "orderline" in ASCII.
constexpr long long kMigrationLock = 0x6f726465726c696e;

}  // namespace

int apply_migrations(pqxx::connection& connection) {
  pqxx::work tx(connection, "migrations");
  // Serialises concurrent starters: the second waits here, then finds everything applied.
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
  tx.exec("CREATE SCHEMA IF NOT EXISTS orderline");
  tx.exec(
      "CREATE TABLE IF NOT EXISTS orderline.schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  for (const auto& row : tx.exec("SELECT version FROM orderline.schema_migrations")) {
    applied.insert(row[0].as<int>());
  }
  const int known = migrations().empty() ? 0 : migrations().back().version;
  if (!applied.empty() && *applied.rbegin() > known) {
    // A newer orderd migrated this database; its tables may hold what this one cannot fold.
    spdlog::warn("postgres: the database has migration {} but this orderd knows up to {}", *applied.rbegin(), known);
  }
  int count = 0;
  for (const auto& migration : migrations()) {
    if (applied.count(migration.version)) continue;
    tx.exec(migration.sql);
    tx.exec_params("INSERT INTO orderline.schema_migrations (version, name) VALUES ($1, $2)", migration.version,
                   migration.name);
    spdlog::info("postgres: applied migration {}", migration.name);
    ++count;
  }
  tx.commit();
  return count;
}

}  // namespace orderline::projections::pg
