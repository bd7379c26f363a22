#pragma once
// The PostgreSQL read models of one engine as operators see them: owns the live
// PostgresProjector and implements ProjectionOperations for it (list, rebuild, pause, resume).
// A rebuild folds version N+1 into schema orderline_v<N+1> beside the live N, then stops N,
// lets N+1 fold the events N had reached, swaps the views of schema `orderline` in one
// transaction, makes N+1 the live projector and drops N's schema. Analysts' queries read the
// views, so they see N until the swap and N+1 after it, never a half-built version.
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "projections/postgres/postgres_projector.h"
#include "projections/projection_operations.h"
#include "projections/projector.h"

namespace orderline::projections::pg {

class PostgresProjections final : public ProjectionOperations {
 public:
  // Does not connect; start() starts the live projector (version: the live one).
  PostgresProjections(const eventstore::EventLog& log, PostgresProjectorOptions options);
  ~PostgresProjections() override;  // cancels a rebuild (its schema is dropped by the next one)

  void start();
  void stop();
  PostgresProjector::Health health() const;
  // The live version's checkpoints, for the lag gauges (as projection options.projection).
  ProjectorStats::Projection stats() const;

  std::vector<ProjectionStatus> list() const override;
  OperationResult rebuild(const std::string& name) override;
  OperationResult pause(const std::string& name) override;
  OperationResult resume(const std::string& name) override;
  OperationResult reset(const std::string& name) override;  // unsupported: rebuild instead
  std::vector<v1::DeadLetter> dead_letters(const std::string& projection, std::size_t limit) const override;
  OperationResult retry_dead_letter(const std::string& id) override;
  OperationResult skip_dead_letter(const std::string& id) override;

 private:
  void run_rebuild(int target);
  void set_rebuild(const std::function<void(RebuildStatus&)>& change);
  // The live version as operators see it: the live projector's once it has connected (it reads
  // orderline.projection_versions then); before that, the version the last swap made live.
  int live_version_locked() const;

  const eventstore::EventLog& log_;
  PostgresProjectorOptions options_;
  mutable std::mutex mutex_;                 // guards live_, swapped_to_, paused_, rebuild_
  std::unique_ptr<PostgresProjector> live_;
  int swapped_to_ = 0;  // the version the last rebuild made live (0: none in this process)
  bool started_ = false;
  bool paused_ = false;
  std::optional<RebuildStatus> rebuild_;
  std::unique_ptr<PostgresProjector> building_;  // the rebuild's projector, for progress
  std::thread rebuild_thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace orderline::projections::pg
