#pragma once
// The embedded event log: one RocksDB instance holding the partitions, the stream index and
// the command outcomes, written together in one synced WriteBatch per append (group commit:
// the command processor packs many commands into one append, and RocksDB merges concurrent
// partitions' appends into one WAL sync).
//
// Column families:
//   events    partition(4, big-endian) offset(8)  -> log_time_us(8) key_len(4) key envelope
//   streams   stream_id '\0' version(8)          -> partition(4) offset(8)
//   outcomes  command_id                          -> v1::CommandOutcome
//   snapshots stream_id                           -> version(8) partition(4) offset(8) state
//             (the newest aggregate snapshot of a stream; written in the same batch as the
//             events it folds in, so it never runs ahead of the log)
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/append_observer.h"
#include "eventstore/embedded/outcome_retention.h"
#include "eventstore/event_log.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class CompactionFilter;
class WriteBatch;
class Env;
}  // namespace rocksdb

namespace orderline::eventstore {

struct EmbeddedLogOptions {
  std::string path;                  // directory of the RocksDB instance
  std::uint32_t partitions = 8;      // fixed at creation; reopening with another count fails
  bool sync = true;                  // fsync the WAL before append returns (off only in tests)
  rocksdb::Env* env = nullptr;       // tests inject a file system that drops unsynced writes
  std::size_t block_cache_bytes = 64 << 20;
  AppendObserver* observer = nullptr;  // timed synced writes (metrics); must outlive the log
  // Outcomes recorded longer ago than this go in compactions (outcome_retention.h). At least
  // kMinOutcomeRetention (24 h, DESIGN rule 4): the constructor refuses less.
  std::chrono::seconds outcome_retention = kDefaultOutcomeRetention;
  // The retention's clock, microseconds since the epoch (tests inject one); empty: the system clock.
  std::function<std::int64_t()> now_us = {};
};

class EmbeddedLog final : public EventLog {
 public:
  // Throws std::runtime_error when the database cannot be opened or the partition count
  // differs from the one it was created with.
  explicit EmbeddedLog(EmbeddedLogOptions options);
  ~EmbeddedLog() override;

  std::uint32_t partition_count() const override { return partitions_; }
  LogResult<AppendResult> append(std::uint32_t partition, const AppendBatch& batch) override;
  LogResult<std::vector<LogRecord>> read(std::uint32_t partition, std::uint64_t from,
                                         std::size_t max_records) const override;
  std::uint64_t end_offset(std::uint32_t partition) const override;
  LogResult<std::uint64_t> offset_for_time(std::uint32_t partition,
                                           std::int64_t time_us) const override;
  std::uint64_t wait_beyond(std::uint32_t partition, std::uint64_t offset,
                            std::chrono::milliseconds timeout) const override;
  std::vector<std::uint64_t> wait_any(const std::vector<std::uint64_t>& ends,
                                      std::chrono::milliseconds timeout) const override;
  LogResult<std::vector<LogRecord>> read_stream(std::string_view stream_id) const override;
  bool keeps_snapshots() const override { return true; }
  LogResult<StreamTail> read_stream_tail(std::string_view stream_id) const override;
  LogResult<std::optional<v1::CommandOutcome>> find_outcome(
      std::string_view command_id) const override;

  // Applies the outcome retention now: compacts the outcomes column family, dropping every
  // outcome past it. Compactions do this on their own over time; for tests and operators.
  LogResult<bool> expire_outcomes();

  // Closes the database; later calls answer LogError::closed.
  void close();

  // An openable copy of the whole log (events, stream index, outcomes) in `dir`, an absolute
  // path that must not exist yet: a RocksDB checkpoint (SST files hard-linked on the same file
  // system, copied otherwise; memtables flushed first), consistent across the column families
  // and holding at least every append that returned before the call. For online backups.
  LogResult<bool> checkpoint(const std::string& dir) const;

 private:
  struct PartitionState {
    mutable std::mutex mutex;
    mutable std::condition_variable grown;
    std::uint64_t end = 0;
    std::int64_t last_log_time_us = 0;
    // The partition's last WriteBatch, cleared and refilled by the next append (its one
    // writer): a batch of hundreds of commands is hundreds of KiB, and freeing a block that
    // large per commit makes glibc consolidate its free lists every time.
    std::unique_ptr<rocksdb::WriteBatch> write_batch;
  };

  void recover_ends();
  LogResult<LogRecord> get_record(std::uint32_t partition, std::uint64_t offset) const;
  // The stream's events from `from_version` on (the stream index, bounded by the published ends).
  LogResult<std::vector<LogRecord>> read_stream_from(std::string_view stream_id, std::uint64_t from_version) const;
  LogResult<bool> has_stream(std::string_view stream_id) const;  // a bloom-filtered point read
  std::optional<StreamSnapshot> get_snapshot(std::string_view stream_id) const;

  EmbeddedLogOptions options_;
  std::uint32_t partitions_;
  std::unique_ptr<rocksdb::CompactionFilter> outcome_filter_;  // used by db_: declared before it
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, events, streams, outcomes, snapshots
  std::vector<std::unique_ptr<PartitionState>> state_;
  // Signalled on every append, for wait_any().
  mutable std::mutex any_mutex_;
  mutable std::condition_variable any_grown_;
  std::uint64_t appends_ = 0;
};

// Key encodings, shared with offline readers (orderctl).
std::string event_key(std::uint32_t partition, std::uint64_t offset);
bool decode_event_value(std::string_view value, LogRecord& out);

}  // namespace orderline::eventstore
