#include "projections/postgres/postgres_projections.h"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <chrono>
#include <numeric>

#include "projections/postgres/dead_letters.h"
#include "projections/postgres/read_model_writer.h"
#include "projections/postgres/version_schemas.h"
#include "projections/projection_lag.h"

namespace orderline::projections::pg {
namespace {

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::uint64_t sum(const std::vector<std::uint64_t>& values) {
  return std::accumulate(values.begin(), values.end(), std::uint64_t{0});
}

OperationResult not_here(const std::string& name, const std::string& projection) {
  return {OperationResult::Code::not_found, "no PostgreSQL projection " + name + " (it is " + projection + ")"};
}

}  // namespace

PostgresProjections::PostgresProjections(const eventstore::EventLog& log, PostgresProjectorOptions options)
    : log_(log), options_(std::move(options)) {
  options_.version = 0;  // the live projector follows the live version
  live_ = std::make_unique<PostgresProjector>(log_, options_);
}

PostgresProjections::~PostgresProjections() {
  stopping_.store(true);
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  stop();
}

void PostgresProjections::start() {
  std::lock_guard lock(mutex_);
  started_ = true;
  if (!paused_) live_->start();
}

void PostgresProjections::stop() {
  std::lock_guard lock(mutex_);
  started_ = false;
  live_->stop();
}

PostgresProjector::Health PostgresProjections::health() const {
  std::lock_guard lock(mutex_);
  return live_->health();
}

ProjectorStats::Projection PostgresProjections::stats() const {
  std::lock_guard lock(mutex_);
  const auto health = live_->health();
  return {options_.projection, live_->checkpoints(), live_version_locked(), paused_,
          health.stopped ? health.error : ""};
}

std::vector<ProjectionStatus> PostgresProjections::list() const {
  std::lock_guard lock(mutex_);
  ProjectionStatus status;
  status.name = options_.projection;
  status.sink = "postgres";
  status.version = live_version_locked();
  const auto health = live_->health();
  // Stopped on a poison event: "failed" with the reason, as a RocksDB projection says it.
  status.state = health.fenced ? "stopped"
                 : health.stopped || (!paused_ && !health.connected) ? "failed"
                 : paused_ ? "paused"
                 : "running";
  status.error = health.error;
  status.checkpoints = live_->checkpoints();
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) status.log_ends.push_back(log_.end_offset(p));
  ProjectorStats stats;
  stats.projections.push_back({status.name, status.checkpoints, status.version, paused_, ""});
  for (const auto& lag : projection_lags(stats, status.log_ends, now_us(), log_time_reader(log_))) {
    status.lag_events += lag.events;
    status.lag_seconds = std::max(status.lag_seconds, lag.seconds);
  }
  status.rebuild = rebuild_;
  if (rebuild_ && building_) {
    status.rebuild->folded = sum(building_->checkpoints());
    status.rebuild->total = sum(status.log_ends);
  }
  if (rebuild_ && rebuild_->finished_at_us == 0) status.state = "rebuilding";
  return {status};
}

int PostgresProjections::live_version_locked() const {
  const int connected = live_->version();
  return connected > 0 ? connected : std::max(1, swapped_to_);
}

void PostgresProjections::set_rebuild(const std::function<void(RebuildStatus&)>& change) {
  std::lock_guard lock(mutex_);
  if (rebuild_) change(*rebuild_);
}

OperationResult PostgresProjections::rebuild(const std::string& name) {
  if (name != options_.projection) return not_here(name, options_.projection);
  std::lock_guard lock(mutex_);
  if (rebuild_ && rebuild_->finished_at_us == 0) {
    return {OperationResult::Code::conflict, "a rebuild of " + name + " is running (to version " +
                                                 std::to_string(rebuild_->target_version) + ")"};
  }
  const int live = live_->version() > 0 ? live_->version() : swapped_to_;
  if (live == 0) {
    return {OperationResult::Code::conflict, "the PostgreSQL projector has not connected yet; retry when it runs"};
  }
  if (rebuild_thread_.joinable()) rebuild_thread_.join();  // the last one, finished
  const int target = live + 1;
  rebuild_ = RebuildStatus{};
  rebuild_->target_version = target;
  rebuild_->state = "building";
  rebuild_->started_at_us = now_us();
  rebuild_thread_ = std::thread([this, target] { run_rebuild(target); });
  return OperationResult::ok();
}

void PostgresProjections::run_rebuild(int target) {
  auto finish = [&](std::string state, std::string error = {}) {
    set_rebuild([&](RebuildStatus& r) {
      r.state = std::move(state);
      r.error = std::move(error);
      r.finished_at_us = now_us();
      if (r.state == "done") r.eta_seconds = 0;
    });
    if (!error.empty()) spdlog::error("postgres rebuild of {} v{}: {}", options_.projection, target, error);
  };
  const int from = target - 1;
  try {
    pqxx::connection admin(options_.dsn);
    create_version(admin, options_.projection, target, from);
    auto options = options_;
    options.version = target;
    {
      std::lock_guard lock(mutex_);
      building_ = std::make_unique<PostgresProjector>(log_, options);
    }
    spdlog::info("postgres rebuild of {}: folding version {} beside version {}", options_.projection, target, from);
    const auto started = std::chrono::steady_clock::now();
    // Catch up in rounds (each to the log's end at its start), reporting progress between them.
    for (;;) {
      if (stopping_.load()) return finish("cancelled", "the server stopped");
      const auto round = building_->catch_up();
      if (!round.ok) return finish("failed", round.error);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const auto folded = sum(building_->checkpoints());
      std::uint64_t total = 0;
      for (std::uint32_t p = 0; p < log_.partition_count(); ++p) total += log_.end_offset(p);
      set_rebuild([&](RebuildStatus& r) {
        r.folded = folded;
        r.total = total;
        r.events_per_second = elapsed > 0 ? static_cast<double>(folded) / elapsed : 0;
        r.eta_seconds = r.events_per_second > 0 ? static_cast<double>(total - std::min(total, folded)) / r.events_per_second : -1;
      });
      if (round.events < 1000) break;  // close to the end: a short pause of the live one closes the gap
    }
    set_rebuild([](RebuildStatus& r) { r.state = "swapping"; });
    std::unique_ptr<PostgresProjector> replaced;
    {
      std::lock_guard lock(mutex_);
      // The swap rule: stop N, bring N+1 to (at least) N's checkpoints, swap, run N+1.
      live_->stop();
      const auto last = building_->catch_up();
      if (!last.ok) {
        if (started_ && !paused_) live_->start();
        return finish("failed", last.error);
      }
      swap_views(admin, options_.projection, from, target);
      replaced = std::move(live_);
      auto live_options = options_;
      live_options.version = 0;  // follows the live version, now `target`
      live_ = std::make_unique<PostgresProjector>(log_, live_options);
      swapped_to_ = target;  // live_ learns it when it connects, which may be after "done"
      building_.reset();
      if (started_ && !paused_) live_->start();
    }
    replaced.reset();
    drop_version(admin, options_.projection, from);
    spdlog::info("postgres rebuild of {}: version {} is live, version {} dropped", options_.projection, target, from);
    finish("done");
  } catch (const std::exception& error) {
    {
      std::lock_guard lock(mutex_);
      building_.reset();
      if (live_ && started_ && !paused_) live_->start();  // no-op when it runs
    }
    finish("failed", error.what());
  }
}

OperationResult PostgresProjections::pause(const std::string& name) {
  if (name != options_.projection) return not_here(name, options_.projection);
  std::lock_guard lock(mutex_);
  paused_ = true;
  live_->stop();
  return OperationResult::ok();
}

OperationResult PostgresProjections::resume(const std::string& name) {
  if (name != options_.projection) return not_here(name, options_.projection);
  std::lock_guard lock(mutex_);
  // A projector stopped on a poison event restarts from its checkpoint: the event is tried
  // again (the same as resuming a RocksDB projection that stopped on one).
  const bool stopped = live_->health().stopped;
  if (stopped) live_->stop();
  if ((paused_ || stopped) && started_) live_->start();
  paused_ = false;
  return OperationResult::ok();
}

OperationResult PostgresProjections::reset(const std::string& name) {
  if (name != options_.projection) return not_here(name, options_.projection);
  return {OperationResult::Code::unsupported,
          "the PostgreSQL read models are not reset in place: rebuild them (a new version beside the live one)"};
}

std::vector<v1::DeadLetter> PostgresProjections::dead_letters(const std::string& projection, std::size_t limit) const {
  if (!projection.empty() && projection != options_.projection) return {};
  try {
    pqxx::connection connection(options_.dsn);
    return list_dead_letters(connection, options_.projection, limit);
  } catch (const std::exception& error) {
    // The list is for operators; a server that is away shows in the projection's state.
    spdlog::warn("postgres dead letters of {}: {}", options_.projection, error.what());
    return {};
  }
}

OperationResult PostgresProjections::retry_dead_letter(const std::string& id) {
  const auto ref = parse_dead_letter_id(id);
  if (!ref || ref->projection != options_.projection) return not_here(id, options_.projection);
  std::lock_guard lock(mutex_);
  // The live projector waits meanwhile: the parked event and a batch must not fold the same
  // order from the same stored state at once.
  const bool running = started_ && !paused_;
  live_->stop();
  OperationResult result;
  std::string failure;
  try {
    pqxx::connection connection(options_.dsn);
    const auto schema = version_schema(live_version(connection, options_.projection));
    prepare_read_model_statements(connection, schema);
    pqxx::work tx(connection, "retry dead letter");
    eventstore::LogRecord record;
    v1::EventEnvelope envelope;
    v1::EventPayload event;
    if (!load_dead_letter(tx, options_.projection, ref->partition, ref->offset, record)) {
      result = {OperationResult::Code::not_found, "no dead letter " + id};
    } else if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) {
      failure = "the record does not decode as an event";
    } else {
      fold_and_write(tx, {EventContext{record, envelope, event}}, schema);
      delete_dead_letter(tx, options_.projection, ref->partition, ref->offset);
      tx.commit();
    }
  } catch (const pqxx::sql_error& error) {
    if (!is_data_error(error)) result = {OperationResult::Code::conflict, std::string("PostgreSQL: ") + error.what()};
    else failure = error.what();
  } catch (const std::exception& error) {
    result = {OperationResult::Code::conflict, std::string("PostgreSQL: ") + error.what()};
  }
  if (!failure.empty()) {
    // On a connection of its own: a statement failed inside a COPY can leave the first one
    // out of step with the server.
    try {
      pqxx::connection connection(options_.dsn);
      pqxx::work tx(connection, "dead letter failure");
      record_dead_letter_failure(tx, options_.projection, ref->partition, ref->offset, failure);
      tx.commit();
    } catch (const std::exception& error) {
      spdlog::warn("postgres dead letter {}: cannot record its failure: {}", id, error.what());
    }
    result = {OperationResult::Code::conflict, "it still fails: " + failure};
  }
  if (running) live_->start();
  return result;
}

OperationResult PostgresProjections::skip_dead_letter(const std::string& id) {
  const auto ref = parse_dead_letter_id(id);
  if (!ref || ref->projection != options_.projection) return not_here(id, options_.projection);
  try {
    pqxx::connection connection(options_.dsn);
    pqxx::work tx(connection, "skip dead letter");
    const bool gone = delete_dead_letter(tx, options_.projection, ref->partition, ref->offset);
    tx.commit();
    if (!gone) return {OperationResult::Code::not_found, "no dead letter " + id};
    return OperationResult::ok();
  } catch (const std::exception& error) {
    return {OperationResult::Code::conflict, std::string("PostgreSQL: ") + error.what()};
  }
}

}  // namespace orderline::projections::pg
