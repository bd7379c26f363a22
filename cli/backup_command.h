#pragma once
// `orderctl backup DIR` asks a running orderd to back itself up into DIR (POST
// /api/v1/admin/backup; see backup_service.h for why in-process and how it stays consistent);
// `orderctl restore DIR --data-dir D` makes D a copy of a backup, ready for `orderd serve`.
// With --event-log kafka://..., both work on a Kafka deployment's topics instead, without a
// server (kafka_backup.h); orderctl_main turns the URL into client options.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace orderline::cli {

struct BackupArgs {
  std::string dir;                              // made absolute here; on the server's machine
  std::string url = "http://127.0.0.1:8080";
  std::string admin_token;                      // else <data_dir>/admin-token, if present
  std::string data_dir;                         // only to find admin-token (scripts/run keeps it there)
  std::string event_log;                        // kafka://...: back up that deployment's log instead
  std::vector<std::string> kafka_options;       // --kafka-option NAME=VALUE (TLS, SASL)
};

struct RestoreArgs {
  std::string dir;       // a backup
  std::string data_dir;  // the data directory to create (or, with force, replace)
  bool force = false;    // replace a non-empty data directory's log and read models
  std::string event_log;                   // kafka://...?prefix=NEW: restore into these (empty) topics instead
  std::vector<std::string> kafka_options;  // --kafka-option NAME=VALUE (TLS, SASL)
};

void add_backup_flags(CLI::App& command, BackupArgs& args);
void add_restore_flags(CLI::App& command, RestoreArgs& args);

// Exit statuses: 0 done, 2 refused (bad arguments, a non-empty data directory, not a backup),
// 1 failed (with the reason on stderr).
int run_backup(const BackupArgs& args);
int run_restore(const RestoreArgs& args);

}  // namespace orderline::cli
