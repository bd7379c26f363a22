#pragma once
// `orderctl migrate --from DATA_DIR --to kafka://...`: moves an embedded engine's history into
// Kafka (eventstore/kafka/migration.h), verified per partition by record counts, checksums and
// outcome look-ups; resumable (run it again after an interruption).
#include <cstdint>
#include <string>
#include <vector>

namespace orderline::cli {

struct MigrateArgs {
  std::string from;                        // data directory of the embedded engine (holds log/)
  std::string to;                          // kafka://HOST:PORT[?prefix=P&replication=N]
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE (TLS, SASL)
  std::string state_dir;                   // the Kafka log's local index; default: a temporary one
  std::size_t chunk = 500;                 // records per transaction
  std::uint64_t limit = 0;                 // records per partition this run (0: all)
};

// Exit status: 0 migrated and verified; 2 not complete yet (--limit: run again); 1 error.
int run_migrate(const MigrateArgs& args);

}  // namespace orderline::cli
