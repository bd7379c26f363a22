#pragma once
// The layout of a backup directory, shared by the server that writes it (backup_service) and
// `orderctl restore` that reads it:
//
//   DIR/readmodels/           RocksDB checkpoint of the read models (taken first)
//   DIR/saga/                 RocksDB checkpoint of the saga's progress (before the log)
//   DIR/log/                  RocksDB checkpoint of the event log
//   DIR/keys/                 RocksDB checkpoint of the customer keys (after the log)
//   DIR/payments.ledger       copy of the simulated payment provider's ledger (after the log)
//   DIR/auth/token-secret     copy of the access-token key (when it is the data directory's)
//   DIR/orderline-backup.json the manifest, written last: a directory without one is not a
//                             (complete) backup and restore refuses it
//
// Why that order: what is taken before the log can only be behind it (read models and the
// saga catch up from their checkpoints, idempotently), what is taken after it can only be
// ahead (every customer key and every payment the backed-up log refers to is there).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/data_dir_layout.h"

namespace orderline::cli {

inline constexpr const char* kBackupManifest = "orderline-backup.json";

struct BackupManifest {
  int format = 1;
  std::string created_at;            // RFC 3339 UTC
  std::uint32_t partitions = 0;
  std::vector<std::uint64_t> log_end;  // per partition: events in the backup's log
  std::uint64_t events = 0;
  // The parts of DIR this backup holds, in the layout above ("readmodels", "log", "saga",
  // "keys", "payments.ledger", "auth/token-secret"); restore checks each is there. Manifests
  // written before it existed held readmodels and log only.
  std::vector<std::string> parts{data_dir::kReadModels, data_dir::kLog};

  std::string to_json() const;
  // nullopt (with *error set) when the text is not a manifest of a format we know.
  static std::optional<BackupManifest> parse(const std::string& text, std::string* error);
};

// Reads DIR/orderline-backup.json; nullopt with *error when missing or unreadable.
std::optional<BackupManifest> read_backup_manifest(const std::string& dir, std::string* error);

// Per partition, the next offset of the log at `log_dir` (a closed or checkpointed log, opened
// read-only); throws when it is not an event log.
std::vector<std::uint64_t> log_ends(const std::string& log_dir);

// The read models' checkpoints at `read_models_dir` (opened read-only) that are ahead of
// `log_end`, as "projection partition P: checkpoint C > log end E" lines; empty when none. A
// backup with any would have read models claiming events its log does not have.
std::vector<std::string> checkpoints_ahead_of(const std::string& read_models_dir,
                                              const std::vector<std::uint64_t>& log_end);

}  // namespace orderline::cli
