#pragma once
// A RocksDB file system that models a power cut: everything written since a file's last
// Sync/Fsync is lost at crash(). kill -9 cannot test this (the kernel keeps unsynced pages);
// this can. Used by durability tests to prove an acknowledged command was synced.
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace orderline::testing {

class CrashFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  CrashFileSystem();

  const char* Name() const override { return "CrashFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;

  // The power goes out now: later syncs no longer make anything durable.
  void crash();
  bool crashed() const;
  // After the database is closed: cut every file back to what was synced before the crash.
  void drop_unsynced();

  // Called by the tracked files.
  void synced(const std::string& name, std::uint64_t size);

 private:
  mutable std::mutex mutex_;
  bool crashed_ = false;
  std::map<std::string, std::uint64_t> synced_size_;  // per written file
  std::set<std::string> created_after_crash_;
};

// An Env over a CrashFileSystem, for rocksdb::Options::env.
std::unique_ptr<rocksdb::Env> make_crash_env(const std::shared_ptr<CrashFileSystem>& fs);

}  // namespace orderline::testing
