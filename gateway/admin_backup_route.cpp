// POST /api/v1/admin/backup {"dir": "/abs/path"} (staff): a consistent backup of the running
// embedded engine, taken in-process because only the process holding the RocksDB instances can
// checkpoint them while they are written. `orderctl backup DIR` calls it. The directory is on
// the server's machine and must not exist yet; the engine checks the rest (absolute, parent
// present, outside the data directory). 201 {"dir","log_end","events","duration_ms"}.
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

void backup(const ExchangePtr& ex) {
  // Who may back up: the route table (ops, admin), applied by dispatch().
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto* object = body->if_object();
  const auto* dir_value = object ? object->if_contains("dir") : nullptr;
  const auto* dir = dir_value ? dir_value->if_string() : nullptr;
  if (dir == nullptr || dir->empty() || dir->size() > 4096 || dir->find('\0') != json::string::npos) {
    return ex->respond(validation_problem({{"dir", "must be an absolute directory path on the server, up to 4096 bytes"}}));
  }
  if (!ex->services->backup) {
    return ex->respond(problem(503, "backup_unavailable", "this server does not take backups"));
  }
  const bool started = ex->services->backup(std::string(*dir), [ex](BackupReport report) {
    switch (report.status) {
      case BackupReport::Status::ok:
        return ex->respond(json_response(json::object{{"dir", report.dir},
                                                      {"log_end", report.log_end},
                                                      {"events", report.events},
                                                      {"duration_ms", report.duration_ms}},
                                         201));
      case BackupReport::Status::invalid_dir:
        return ex->respond(validation_problem({{"dir", report.detail}}));
      case BackupReport::Status::failed:
        return ex->respond(problem(500, "backup_failed", "the backup failed and was removed: " + report.detail));
    }
  });
  if (!started) {
    ex->respond(problem(409, "backup_in_progress", "a backup is already running; retry when it has finished"));
  }
}

}  // namespace orderline::gateway::handlers
