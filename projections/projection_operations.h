#pragma once
// What operators see of the projections and do to them (GET /api/v1/admin/projections,
// `orderctl projections ...`), whatever the sink: the registry of projections with their
// versions, checkpoints, lag and state, and the operations rebuild, pause, resume and reset.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orderline/v1/views.pb.h"

namespace orderline::projections {

struct RebuildStatus {
  int target_version = 0;
  std::string state;            // building, swapping, done, failed, cancelled
  std::uint64_t folded = 0;     // events the new version has folded (sum over partitions)
  std::uint64_t total = 0;      // events in the log when last measured
  double events_per_second = 0; // since the rebuild started
  double eta_seconds = -1;      // -1: unknown
  std::int64_t started_at_us = 0;
  std::int64_t finished_at_us = 0;  // 0 while running
  std::string error;            // why it failed
};

struct ProjectionStatus {
  std::string name;
  int version = 1;
  std::string sink;   // rocksdb, postgres
  std::string state;  // running, paused, rebuilding, stopped, failed
  std::vector<std::uint64_t> checkpoints;  // per partition: next offset to fold
  std::vector<std::uint64_t> log_ends;     // per partition, when measured
  std::uint64_t lag_events = 0;            // sum over partitions
  double lag_seconds = 0;                  // age of the oldest event not folded yet (log time)
  std::optional<RebuildStatus> rebuild;    // the current or last rebuild
  std::string error;                       // why it is failed/stopped, "" otherwise
};

// Dead letters are named "<projection>:<partition>:<offset>" in the API and orderctl.
std::string dead_letter_id(const v1::DeadLetter& letter);
struct DeadLetterRef {
  std::string projection;
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
};
std::optional<DeadLetterRef> parse_dead_letter_id(std::string_view id);

struct OperationResult {
  enum class Code { ok, not_found, conflict, unsupported };
  Code code = Code::ok;
  std::string detail;
  static OperationResult ok() { return {}; }
};

class ProjectionOperations {
 public:
  virtual ~ProjectionOperations() = default;
  virtual std::vector<ProjectionStatus> list() const = 0;
  // Builds version N+1 beside N from the start of the log, then swaps (background; progress in
  // list()). Conflict when a rebuild of it runs already.
  virtual OperationResult rebuild(const std::string& name) = 0;
  virtual OperationResult pause(const std::string& name) = 0;
  virtual OperationResult resume(const std::string& name) = 0;
  // Refolds the live version in place from the start (queries see it partly built meanwhile).
  virtual OperationResult reset(const std::string& name) = 0;

  // Parked events, oldest first per projection; `projection` "" for all.
  virtual std::vector<v1::DeadLetter> dead_letters(const std::string& projection, std::size_t limit) const = 0;
  // Applies a parked event to the projection's current state; gone when it folds (conflict
  // with the reason when it still fails).
  virtual OperationResult retry_dead_letter(const std::string& id) = 0;
  // Drops a parked event for good (the projection never folds it).
  virtual OperationResult skip_dead_letter(const std::string& id) = 0;
};

}  // namespace orderline::projections
