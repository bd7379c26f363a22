#include "projections/postgres/version_schemas.h"

#include <pqxx/pqxx>

#include <stdexcept>

namespace orderline::projections::pg {
namespace {

// Replaces every "<from>." with "<to>." (schema-qualified names in a view's query).
std::string requalify(std::string sql, const std::string& from, const std::string& to) {
  const auto needle = from + ".";
  const auto replacement = to + ".";
  for (auto at = sql.find(needle); at != std::string::npos; at = sql.find(needle, at + replacement.size())) {
    sql.replace(at, needle.size(), replacement);
  }
  return sql;
}

}  // namespace

std::string version_schema(int version) { return "orderline_v" + std::to_string(version); }

int live_version(pqxx::connection& connection, const std::string& projection) {
  pqxx::nontransaction tx(connection);
  auto rows = tx.exec_params("SELECT live_version FROM orderline.projection_versions WHERE projection = $1", projection);
  return rows.empty() ? 1 : rows[0][0].as<int>();
}

void create_version(pqxx::connection& connection, const std::string& projection, int version, int template_version) {
  if (version == template_version) throw std::invalid_argument("a version cannot be its own template");
  pqxx::work tx(connection, "create-version");
  const auto schema = tx.quote_name(version_schema(version));
  const auto template_schema = version_schema(template_version);
  tx.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  tx.exec("CREATE SCHEMA " + schema);
  for (const auto& row : tx.exec_params(
           "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", template_schema)) {
    const auto table = tx.quote_name(row[0].as<std::string>());
    tx.exec("CREATE TABLE " + schema + "." + table + " (LIKE " + tx.quote_name(template_schema) + "." + table +
            " INCLUDING ALL)");
  }
  tx.exec_params("DELETE FROM orderline.projection_checkpoints WHERE projection = $1 AND version = $2", projection,
                 version);
  tx.commit();
}

void swap_views(pqxx::connection& connection, const std::string& projection, int from, int to) {
  pqxx::work tx(connection, "swap-views");
  const auto from_schema = version_schema(from), to_schema = version_schema(to);
  // Views (and readers of them) wait for this transaction, which then commits all at once.
  const auto views = tx.exec_params(
      "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'orderline' AND c.relkind = 'v' AND pg_get_viewdef(c.oid) LIKE '%' || $1 || '.%'",
      from_schema);
  if (views.empty()) throw std::runtime_error("no view of schema orderline reads " + from_schema);
  for (const auto& view : views) {
    tx.exec("CREATE OR REPLACE VIEW orderline." + tx.quote_name(view[0].as<std::string>()) + " AS " +
            requalify(view[1].as<std::string>(), from_schema, to_schema));
  }
  tx.exec_params(
      "INSERT INTO orderline.projection_versions (projection, live_version) VALUES ($1, $2) "
      "ON CONFLICT (projection) DO UPDATE SET live_version = EXCLUDED.live_version, swapped_at = now()",
      projection, to);
  tx.commit();
}

void drop_version(pqxx::connection& connection, const std::string& projection, int version) {
  pqxx::work tx(connection, "drop-version");
  tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(version_schema(version)) + " CASCADE");
  tx.exec_params("DELETE FROM orderline.projection_checkpoints WHERE projection = $1 AND version = $2", projection,
                 version);
  tx.commit();
}

}  // namespace orderline::projections::pg
