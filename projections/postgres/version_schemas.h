#pragma once
// Versions of the PostgreSQL read models (migration 005): version N's tables live in schema
// orderline_v<N>; the views of schema `orderline` show the live one. What a rebuild needs:
// create N+1 beside N, swap the views in one transaction, drop N.
#include <string>

// pqxx::connection is an alias in libpqxx 6 (Debian 12), so it cannot be forward-declared.
#include <pqxx/connection>

namespace orderline::projections::pg {

// "orderline_v3" for 3.
std::string version_schema(int version);

// The version the views show (projection_versions; 1 when it has no row).
int live_version(pqxx::connection& connection, const std::string& projection);

// A fresh, empty schema for `version` with every table of `template_version` (columns,
// constraints, indexes), and no checkpoints of `version`: whatever an interrupted rebuild
// left there is dropped first.
void create_version(pqxx::connection& connection, const std::string& projection, int version, int template_version);

// In one transaction: every view of schema `orderline` that reads version `from` is replaced
// by the same query over version `to`, and `to` is recorded as live. Readers see one version or
// the other, never a mix.
void swap_views(pqxx::connection& connection, const std::string& projection, int from, int to);

// Drops version's schema and its checkpoint rows (after a swap made another version live).
void drop_version(pqxx::connection& connection, const std::string& projection, int version);

}  // namespace orderline::projections::pg
