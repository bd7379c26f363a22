#pragma once
// The SQL side of the order read models (tables of migrations/002): loads the prior state of
// the orders a batch moves and writes a batch's RowChanges, one prepared bulk statement per
// table. Runs inside the caller's transaction, which also advances the checkpoints.
#include <string>
#include <vector>

#include "projections/postgres/order_fold.h"

// pqxx::connection is an alias in libpqxx 6 (Debian 12), so it cannot be forward-declared.
#include <pqxx/connection>

namespace pqxx {
class dbtransaction;
}  // namespace pqxx

namespace orderline::projections::pg {

// Prepares the statements on a new connection (prepared statements live per connection), for
// the tables of one version's schema ("orderline_v1", ...).
void prepare_read_model_statements(pqxx::connection& connection, const std::string& schema);

std::vector<StoredOrder> load_orders(pqxx::dbtransaction& tx, const std::vector<std::string>& order_ids);

void write_changes(pqxx::dbtransaction& tx, const RowChanges& changes, const std::string& schema);

// Folds `events` (in log order) onto the stored state of the orders they move and writes the
// result: loads the orders placed before them, applies, write_changes.
void fold_and_write(pqxx::dbtransaction& tx, const std::vector<EventContext>& events, const std::string& schema);

}  // namespace orderline::projections::pg
