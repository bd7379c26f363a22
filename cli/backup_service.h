#pragma once
// Online backups of the embedded engine, taken inside orderd (POST /api/v1/admin/backup):
// only the process that holds the RocksDB instances can checkpoint them while they are
// written; a second process would be a second writer, and a secondary instance cannot stop
// the primary from deleting the files it is copying.
//
// Consistency: the read models are checkpointed first, the log second. The projector only
// folds events the log already has, so every read-model checkpoint in the backup is at or
// below the backup's log end; restored, the projector simply catches up from its checkpoints
// (never the other way round, which would leave read models showing events the log lost). The
// backup verifies this before writing its manifest, and removes itself when it does not hold.
//
// Why rocksdb::Checkpoint rather than BackupEngine: a checkpoint is a plain, openable RocksDB
// directory (restore is a copy; orderctl can inspect it in place), it hard-links the immutable
// SST files when the target is on the same file system (seconds for any size) and copies them
// otherwise, and it flushes and copies the WAL so it holds every write acknowledged before it
// started. BackupEngine's incremental, checksummed store of many backups pays off for frequent
// backups to remote storage; take those by copying a checkpoint directory away.
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/server.h"

namespace orderline::cli {

class EmbeddedEngine;

class BackupService {
 public:
  // `keys`: the customer key store the gateway uses (optional; backed up when given). The
  // saga's state and the payment ledger come from the engine, the access-token key from
  // DATA_DIR/auth/token-secret when it is there (a --token-secret-file elsewhere is the
  // operator's to keep).
  BackupService(EmbeddedEngine& engine, std::string data_dir, auth::CustomerKeys* keys = nullptr);
  ~BackupService();  // waits for a running backup

  // Waits until a running backup has finished and handed over its report (call before the
  // gateway stops, so that answer still reaches its client).
  void wait();

  // Starts a backup into `dir` on its own thread and calls `done` from it with the report;
  // false (and no call) when a backup is already running. `dir` must be absolute, must not
  // exist yet, its parent must exist, and it must lie outside the data directory.
  bool start(const std::string& dir, std::function<void(gateway::BackupReport)> done);

  // The backup itself, on the caller's thread (start() runs it on its own).
  gateway::BackupReport run(const std::string& dir);

 private:
  EmbeddedEngine& engine_;
  std::string data_dir_;
  auth::CustomerKeys* keys_;
  std::mutex mutex_;  // guards thread_ and busy_
  std::thread thread_;
  bool busy_ = false;
};

}  // namespace orderline::cli
