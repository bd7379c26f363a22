#pragma once
// ProjectionOperations for the RocksDB read models of one engine: the live projector's
// projections, and rebuilds that fold version N+1 under its own key prefix on a thread of
// their own, then swap it in (Projector::swap_in) and drop version N. Queries read version N
// until the swap and N+1 after it; they never see a half-built version.
//
// Other sinks join it through ProjectionOperationsSet.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "eventstore/event_log.h"
#include "projections/projection_operations.h"
#include "projections/projector.h"

namespace orderline::projections {

struct RocksProjectionAdminOptions {
  // Makes a fresh instance of a projection by name (for the rebuild); nullptr if unknown.
  std::function<std::unique_ptr<Projection>(const std::string&)> factory;
  std::size_t rebuild_batch_size = 8192;
  std::function<std::int64_t()> now_us;  // wall clock for log-time lag; default: system clock
};

class RocksProjectionAdmin final : public ProjectionOperations {
 public:
  RocksProjectionAdmin(const eventstore::EventLog& log, ReadModelStore& store, Projector& live,
                       RocksProjectionAdminOptions options);
  ~RocksProjectionAdmin() override;  // cancels running rebuilds (their keys are dropped next time)

  std::vector<ProjectionStatus> list() const override;
  OperationResult rebuild(const std::string& name) override;
  OperationResult pause(const std::string& name) override;
  OperationResult resume(const std::string& name) override;
  OperationResult reset(const std::string& name) override;
  std::vector<v1::DeadLetter> dead_letters(const std::string& projection, std::size_t limit) const override;
  OperationResult retry_dead_letter(const std::string& id) override;
  OperationResult skip_dead_letter(const std::string& id) override;

 private:
  struct Rebuild {
    std::mutex mutex;
    RebuildStatus status;
    std::thread thread;
  };
  void run_rebuild(const std::string& name, int target, Rebuild& job);
  bool known(const std::string& name) const;

  const eventstore::EventLog& log_;
  ReadModelStore& store_;
  Projector& live_;
  RocksProjectionAdminOptions options_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Rebuild>> rebuilds_;  // current or last, by name
};

}  // namespace orderline::projections
