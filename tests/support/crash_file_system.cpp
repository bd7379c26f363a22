#include "tests/support/crash_file_system.h"

#include <filesystem>

namespace orderline::testing {
namespace {

class TrackedFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name, CrashFileSystem& fs)
      : FSWritableFileOwnerWrapper(std::move(file)), name_(std::move(name)), fs_(fs) {}

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    auto status = target()->Sync(options, dbg);
    if (status.ok()) fs_.synced(name_, target()->GetFileSize(options, dbg));
    return status;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    auto status = target()->Fsync(options, dbg);
    if (status.ok()) fs_.synced(name_, target()->GetFileSize(options, dbg));
    return status;
  }
  rocksdb::IOStatus RangeSync(std::uint64_t, std::uint64_t, const rocksdb::IOOptions&,
                              rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();  // a partial sync promises nothing; only Sync/Fsync count
  }

 private:
  std::string name_;
  CrashFileSystem& fs_;
};

}  // namespace

CrashFileSystem::CrashFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

rocksdb::IOStatus CrashFileSystem::NewWritableFile(const std::string& name,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                   rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  auto status = target()->NewWritableFile(name, options, &file, dbg);
  if (!status.ok()) return status;
  {
    std::lock_guard lock(mutex_);
    if (crashed_) created_after_crash_.insert(name);
    else synced_size_[name] = 0;  // a new file is empty until synced
  }
  *result = std::make_unique<TrackedFile>(std::move(file), name, *this);
  return status;
}

rocksdb::IOStatus CrashFileSystem::ReopenWritableFile(const std::string& name,
                                                      const rocksdb::FileOptions& options,
                                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                      rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  auto status = target()->ReopenWritableFile(name, options, &file, dbg);
  if (!status.ok()) return status;
  {
    std::lock_guard lock(mutex_);
    if (!synced_size_.count(name) && !crashed_) {
      std::error_code ec;
      synced_size_[name] = std::filesystem::file_size(name, ec);
    }
  }
  *result = std::make_unique<TrackedFile>(std::move(file), name, *this);
  return status;
}

void CrashFileSystem::synced(const std::string& name, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  if (!crashed_) synced_size_[name] = size;
}

void CrashFileSystem::crash() {
  std::lock_guard lock(mutex_);
  crashed_ = true;
}

bool CrashFileSystem::crashed() const {
  std::lock_guard lock(mutex_);
  return crashed_;
}

void CrashFileSystem::drop_unsynced() {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  for (const auto& [name, size] : synced_size_) {
    if (std::filesystem::exists(name, ec) && std::filesystem::file_size(name, ec) > size) {
      std::filesystem::resize_file(name, size, ec);
    }
  }
  for (const auto& name : created_after_crash_) std::filesystem::remove(name, ec);
}

std::unique_ptr<rocksdb::Env> make_crash_env(const std::shared_ptr<CrashFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

}  // namespace orderline::testing
