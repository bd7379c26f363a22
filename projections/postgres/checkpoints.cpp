#include "projections/postgres/checkpoints.h"

#include <pqxx/pqxx>

#include "projections/postgres/sql_array.h"

namespace orderline::projections::pg {

void prepare_checkpoint_statements(pqxx::connection& connection) {
  connection.prepare("advance_checkpoints",
                     "UPDATE orderline.projection_checkpoints AS c SET next_offset = u.next, updated_at = now() "
                     "FROM unnest($3::int[], $4::bigint[], $5::bigint[]) AS u(p, expected, next) "
                     "WHERE c.projection = $1 AND c.version = $2 AND c.partition = u.p "
                     "AND c.next_offset = u.expected");
}

std::vector<std::uint64_t> load_checkpoints(pqxx::connection& connection, const ProjectionId& projection,
                                            std::uint32_t partitions) {
  pqxx::work tx(connection, "load_checkpoints");
  tx.exec_params(
      "INSERT INTO orderline.projection_checkpoints (projection, version, partition, next_offset) "
      "SELECT $1, $2, p, 0 FROM generate_series(0, $3 - 1) AS p ON CONFLICT DO NOTHING",
      projection.name, projection.version, static_cast<std::int64_t>(partitions));
  std::vector<std::uint64_t> offsets(partitions, 0);
  auto rows = tx.exec_params(
      "SELECT partition, next_offset FROM orderline.projection_checkpoints WHERE projection = $1 AND version = $2",
      projection.name, projection.version);
  for (const auto& row : rows) {
    const auto partition = row[0].as<std::uint32_t>();
    if (partition < partitions) offsets[partition] = row[1].as<std::uint64_t>();
  }
  tx.commit();
  return offsets;
}

bool advance_checkpoints(pqxx::dbtransaction& tx, const ProjectionId& projection,
                         const std::vector<CheckpointAdvance>& advances) {
  SqlArray partitions, expected, next;
  for (const auto& a : advances) {
    partitions.add(a.partition);
    expected.add(a.expected);
    next.add(a.next);
  }
  auto result = tx.exec_prepared("advance_checkpoints", projection.name, projection.version, partitions.str(),
                                 expected.str(), next.str());
  return result.affected_rows() == advances.size();
}

}  // namespace orderline::projections::pg
