#pragma once
// The checkpoint rows of a PostgreSQL projection (orderline.projection_checkpoints): one per
// (projection, version, partition), holding the next log offset to fold. They advance only by
// compare-and-set inside the transaction of the batch they cover, so a batch and its checkpoint
// commit together, and a projector working from a stale checkpoint (a zombie after a network
// partition, a second orderd on the same database) finds zero rows to update and changes nothing.
#include <cstdint>
#include <string>
#include <vector>

// pqxx::connection is an alias in libpqxx 6 (Debian 12), so it cannot be forward-declared.
#include <pqxx/connection>

namespace pqxx {
class dbtransaction;
}  // namespace pqxx

namespace orderline::projections::pg {

struct ProjectionId {
  std::string name;  // e.g. "orders"
  int version = 1;
};

struct CheckpointAdvance {
  std::uint32_t partition = 0;
  std::uint64_t expected = 0;  // the stored next offset this batch starts from
  std::uint64_t next = 0;      // the next offset after this batch
};

void prepare_checkpoint_statements(pqxx::connection& connection);

// Creates the missing rows (at offset 0) and returns the stored next offset of every partition.
std::vector<std::uint64_t> load_checkpoints(pqxx::connection& connection, const ProjectionId& projection,
                                            std::uint32_t partitions);

// Moves every listed checkpoint from `expected` to `next`. Call it first in the batch's
// transaction: it locks the rows, so a competing projector waits here and then fails the
// comparison instead of interleaving its writes. False when any row had moved; the caller
// must then roll back.
bool advance_checkpoints(pqxx::dbtransaction& tx, const ProjectionId& projection,
                         const std::vector<CheckpointAdvance>& advances);

}  // namespace orderline::projections::pg
