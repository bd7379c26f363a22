#include "cli/backup_service.h"
#include "cli/data_dir_layout.h"

#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "cli/backup_manifest.h"
#include "cli/embedded_engine.h"
#include "gateway/auth/personal_data.h"
#include "eventstore/position.h"
#include "gateway/json_mapping.h"

namespace orderline::cli {
namespace fs = std::filesystem;
using gateway::BackupReport;

namespace {

// Why `dir` cannot take a backup, or empty when it can.
std::string dir_problem(const std::string& dir, const std::string& data_dir) {
  const fs::path path(dir);
  if (!path.is_absolute()) return "must be an absolute path";
  std::error_code ec;
  if (fs::exists(fs::symlink_status(path, ec))) return "already exists: a backup never overwrites anything";
  const fs::path parent = path.lexically_normal().parent_path();
  if (!fs::is_directory(parent, ec)) return "its parent directory " + parent.string() + " does not exist";
  const auto target = fs::weakly_canonical(path, ec);
  const auto data = fs::weakly_canonical(fs::path(data_dir), ec);
  const auto [data_end, target_it] = std::mismatch(data.begin(), data.end(), target.begin(), target.end());
  if (data_end == data.end()) return "lies inside the data directory " + data.string();
  return {};
}

std::string checkpoint(rocksdb::DB& db, const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  auto status = rocksdb::Checkpoint::Create(&db, &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (status.ok()) status = checkpoint->CreateCheckpoint(dir);
  return status.ok() ? std::string() : status.ToString();
}

}  // namespace

BackupService::BackupService(EmbeddedEngine& engine, std::string data_dir, auth::CustomerKeys* keys)
    : engine_(engine), data_dir_(std::move(data_dir)), keys_(keys) {}

BackupService::~BackupService() { wait(); }

void BackupService::wait() {
  std::thread running;
  {
    std::lock_guard lock(mutex_);
    running = std::move(thread_);
  }
  // Joined without the lock: the backup's thread takes it once more before it ends.
  if (running.joinable()) running.join();
}

bool BackupService::start(const std::string& dir, std::function<void(BackupReport)> done) {
  std::lock_guard lock(mutex_);
  if (busy_) return false;
  busy_ = true;
  // The previous backup's thread is past its last use of the lock (busy_ is false): at most
  // its answer is still being handed over.
  if (thread_.joinable()) thread_.join();
  thread_ = std::thread([this, dir, done = std::move(done)] {
    auto report = run(dir);
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    done(std::move(report));
  });
  return true;
}

BackupReport BackupService::run(const std::string& dir) {
  BackupReport report;
  report.dir = dir;
  if (auto why = dir_problem(dir, data_dir_); !why.empty()) {
    report.status = BackupReport::Status::invalid_dir;
    report.detail = why;
    return report;
  }
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  // create_directory is false when something appeared there since the check: never overwrite.
  if (!fs::create_directory(dir, ec)) {
    report.status = BackupReport::Status::invalid_dir;
    report.detail = ec ? "cannot create it: " + ec.message() : "already exists: a backup never overwrites anything";
    return report;
  }
  auto fail = [&](std::string why) {
    spdlog::error("backup into {} failed: {}", dir, why);
    fs::remove_all(dir, ec);
    report.status = BackupReport::Status::failed;
    report.detail = std::move(why);
    return report;
  };
  auto* embedded = dynamic_cast<eventstore::EmbeddedLog*>(&engine_.log());
  if (embedded == nullptr) {
    // On Kafka the log is Kafka's to keep (replication, retention); the local stores are caches.
    return fail("backups are of the embedded event log; on Kafka, back up the topics");
  }
  spdlog::info("backup into {}: read models and saga, then the log, then keys and payments", dir);
  try {
    BackupManifest manifest;
    // Read models and the saga's progress first, the log second (see backup_manifest.h):
    // their checkpoints can only be behind it.
    if (auto why = checkpoint(engine_.read_models().db(), dir + "/" + data_dir::kReadModels); !why.empty()) {
      return fail("read models: " + why);
    }
    if (auto* saga = engine_.saga()) {
      if (auto why = checkpoint(saga->state_store(), dir + "/" + data_dir::kSaga); !why.empty()) return fail("saga state: " + why);
      manifest.parts.push_back(data_dir::kSaga);
    }
    if (auto done = embedded->checkpoint(dir + "/" + data_dir::kLog); !done) return fail("event log: " + done.detail);
    // After the log: every key and payment its events refer to was made before they were
    // appended, so the copies hold them all.
    if (keys_ != nullptr) {
      if (auto why = checkpoint(keys_->db(), dir + "/" + data_dir::kCustomerKeys); !why.empty()) return fail("customer keys: " + why);
      manifest.parts.push_back(data_dir::kCustomerKeys);
    }
    for (const char* file : {data_dir::kPaymentLedger, data_dir::kTokenSecret}) {
      const fs::path source = fs::path(data_dir_) / file;
      if (!fs::exists(source)) continue;
      fs::create_directories((fs::path(dir) / file).parent_path());
      // A ledger line torn by this copy is cut off when the restored provider opens it: the
      // payment it would record happened after the log's copy, so nothing there refers to it.
      fs::copy_file(source, fs::path(dir) / file);
      manifest.parts.push_back(file);
    }

    manifest.created_at = gateway::rfc3339_utc(system_now_us());
    manifest.log_end = log_ends(dir + "/" + data_dir::kLog);  // also proves the copy opens
    manifest.partitions = static_cast<std::uint32_t>(manifest.log_end.size());
    for (auto end : manifest.log_end) manifest.events += end;
    if (auto ahead = checkpoints_ahead_of(dir + "/" + data_dir::kReadModels, manifest.log_end); !ahead.empty()) {
      return fail("read models ahead of the log: " + ahead.front());
    }
    // Written last, under a temporary name: a manifest marks a complete backup.
    const std::string manifest_path = dir + "/" + kBackupManifest;
    {
      std::ofstream out(manifest_path + ".tmp");
      out << manifest.to_json();
      out.flush();
      if (!out) return fail("cannot write the manifest");
    }
    fs::rename(manifest_path + ".tmp", manifest_path);

    eventstore::PositionVector end;
    for (std::uint32_t p = 0; p < manifest.partitions; ++p) end.offsets[p] = manifest.log_end[p];
    report.status = BackupReport::Status::ok;
    report.log_end = eventstore::encode_position(end);
    report.events = manifest.events;
    report.duration_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::steady_clock::now() - started)
                                                        .count());
    spdlog::info("backup into {}: {} events in {} ms", dir, report.events, report.duration_ms);
    return report;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace orderline::cli
