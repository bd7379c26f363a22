#include "cli/backup_command.h"
#include "cli/data_dir_layout.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/backup_manifest.h"
#include "cli/http_get.h"
#include "cli/server_answer.h"

namespace orderline::cli {
namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// True when a RocksDB instance under `db_dir` is open in some process: RocksDB holds an fcntl
// write lock on its LOCK file for as long as it is open.
bool in_use(const fs::path& db_dir) {
  const auto lock_file = db_dir / "LOCK";
  const int fd = ::open(lock_file.c_str(), O_RDWR);
  if (fd < 0) return false;  // no LOCK file: no database, or never opened
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_SETLK, &lock) != 0;
  ::close(fd);  // releases our lock, if we took it
  return locked;
}

void add_kafka_backup_flags(CLI::App& command, std::string& event_log, std::vector<std::string>& kafka_options,
                            const std::string& help) {
  command.add_option("--event-log", event_log, help);
  command.add_option("--kafka-option", kafka_options,
                     "librdkafka client setting NAME=VALUE for --event-log kafka:// (TLS, SASL; repeatable)");
}

bool is_empty_or_missing(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

}  // namespace

void add_backup_flags(CLI::App& command, BackupArgs& args) {
  command.add_option("dir", args.dir, "Directory to create for the backup (on the server's machine; must not exist)")
      ->required();
  command.add_option("--url", args.url, "The running orderd")->envname("ORDERLINE_URL")->capture_default_str();
  command.add_option("--admin-token", args.admin_token, "Staff token (default: DATA_DIR/admin-token)")
      ->envname("ORDERLINE_ADMIN_TOKEN");
  command.add_option("--data-dir", args.data_dir, "The server's data directory, to read its admin-token file")
      ->envname("ORDERLINE_DATA_DIR");
  add_kafka_backup_flags(command, args.event_log, args.kafka_options,
                         "Back up a Kafka deployment's log instead (no server): kafka://HOST:PORT?prefix=P; DIR is local");
}

void add_restore_flags(CLI::App& command, RestoreArgs& args) {
  command.add_option("dir", args.dir, "A backup made by `orderctl backup`")->required();
  command.add_option("--data-dir", args.data_dir, "Data directory to restore into (created when missing)");
  command.add_flag("--force", args.force, "Replace the log and read models of a non-empty data directory");
  add_kafka_backup_flags(command, args.event_log, args.kafka_options,
                         "Restore a backup of a Kafka log into the empty topics of this deployment: "
                         "kafka://HOST:PORT?prefix=NEW (instead of --data-dir)");
}

int run_backup(const BackupArgs& args) {
  std::string token = args.admin_token;
  if (token.empty() && !args.data_dir.empty()) {
    std::ifstream in(args.data_dir + "/admin-token");
    std::getline(in, token);
    token = trimmed(token);
  }
  if (token.empty()) {
    std::cerr << "orderctl backup: needs the staff token: --admin-token, ORDERLINE_ADMIN_TOKEN, or --data-dir "
                 "with an admin-token file"
              << std::endl;
    return 2;
  }
  // The server resolves the path: send it absolute, as this shell meant it.
  const auto dir = fs::absolute(args.dir).lexically_normal().string();
  std::string url = args.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto answer = http_request("POST", url + "/api/v1/admin/backup",
                                   boost::json::serialize(boost::json::object{{"dir", dir}}),
                                   {{"Authorization", "Bearer " + token}}, std::chrono::hours(1));
  if (!answer_ok(answer, "orderctl backup")) return answer.ok && answer.status < 500 ? 2 : 1;
  std::cout << answer.body << std::endl;
  return 0;
}

int run_restore(const RestoreArgs& args) {
  if (args.data_dir.empty()) {
    std::cerr << "orderctl restore: --data-dir is required (or --event-log kafka://... for a backup of a Kafka log)"
              << std::endl;
    return 2;
  }
  const fs::path backup = fs::absolute(args.dir).lexically_normal();
  const fs::path data = fs::absolute(args.data_dir).lexically_normal();
  std::string error;
  const auto manifest = read_backup_manifest(backup.string(), &error);
  if (!manifest) {
    std::cerr << "orderctl restore: " << error << std::endl;
    return 2;
  }
  for (const auto& part : manifest->parts) {
    if (!fs::exists(backup / part)) {
      std::cerr << "orderctl restore: " << (backup / part).string() << " is missing: not a complete backup" << std::endl;
      return 2;
    }
  }
  // What restore replaces in the data directory: the backup's parts, and the saga's progress
  // even when the backup has none (a backup taken with --no-saga): a checkpoint beyond the
  // restored log would make the saga skip the events that take those offsets next.
  std::vector<std::string> replaced = manifest->parts;
  if (std::find(replaced.begin(), replaced.end(), data_dir::kSaga) == replaced.end()) replaced.push_back(data_dir::kSaga);
  if (!is_empty_or_missing(data)) {
    if (!args.force) {
      std::cerr << "orderctl restore: " << data.string()
                << " is not empty; restore into a new directory, or --force to replace its log and read models"
                << std::endl;
      return 2;
    }
    for (const auto& part : replaced) {
      if (in_use(data / part)) {
        std::cerr << "orderctl restore: " << (data / part).string()
                  << " is open in a running process (orderd?): stop it first" << std::endl;
        return 2;
      }
    }
  }
  // The backup must be what its manifest says, before anything of the data directory goes.
  if (log_ends(backup / data_dir::kLog) != manifest->log_end) {
    std::cerr << "orderctl restore: the backup's log does not match its manifest (damaged?)" << std::endl;
    return 1;
  }

  // Copied beside the targets first, swapped in once complete: an interrupted restore leaves
  // *.restoring copies and the data directory as it was.
  fs::create_directories(data);
  for (const auto& part : manifest->parts) {
    const auto staging = data / (part + ".restoring");
    fs::create_directories(staging.parent_path());
    fs::remove_all(staging);
    fs::copy(backup / part, staging, fs::copy_options::recursive);
  }
  ::sync();  // the copies are on disk before the old data goes
  for (const auto& part : replaced) {
    fs::remove_all(data / part);
    if (fs::exists(data / (part + ".restoring"))) fs::rename(data / (part + ".restoring"), data / part);
  }
  ::sync();

  if (log_ends(data / data_dir::kLog) != manifest->log_end) {
    std::cerr << "orderctl restore: the restored log does not match the backup's manifest" << std::endl;
    return 1;
  }
  std::string parts;
  for (const auto& part : manifest->parts) parts += (parts.empty() ? "" : ", ") + part;
  std::cout << "restored " << manifest->events << " events (" << manifest->partitions << " partitions, backup of "
            << manifest->created_at << "; " << parts << ") into " << data.string() << "\nstart it with: orderd serve --data-dir "
            << data.string() << " --partitions " << manifest->partitions << std::endl;
  return 0;
}

}  // namespace orderline::cli
