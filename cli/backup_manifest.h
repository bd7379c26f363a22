#pragma once
// The layout of a backup directory, shared by the server that writes it (backup_service) and
// `orderctl restore` that reads it:
//
//   DIR/readmodels/           RocksDB checkpoint of the read models (taken first)
//   DIR/log/                  RocksDB checkpoint of the event log (taken second)
//   DIR/orderline-backup.json the manifest, written last: a directory without one is not a
//                             (complete) backup and restore refuses it
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orderline::cli {

inline constexpr const char* kBackupManifest = "orderline-backup.json";

struct BackupManifest {
  int format = 1;
  std::string created_at;            // RFC 3339 UTC
  std::uint32_t partitions = 0;
  std::vector<std::uint64_t> log_end;  // per partition: events in the backup's log
  std::uint64_t events = 0;

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
