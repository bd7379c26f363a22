#include "projections/rocksdb_projection_admin.h"

#include <rocksdb/db.h>

#include <charconv>
#include <chrono>
#include <numeric>

#include "observability/log.h"
#include "projections/keys.h"
#include "projections/projection_lag.h"

namespace orderline::projections {
namespace {

std::int64_t system_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::uint64_t sum(const std::vector<std::uint64_t>& values) {
  return std::accumulate(values.begin(), values.end(), std::uint64_t{0});
}

}  // namespace

RocksProjectionAdmin::RocksProjectionAdmin(const eventstore::EventLog& log, ReadModelStore& store, Projector& live,
                                           RocksProjectionAdminOptions options)
    : log_(log), store_(store), live_(live), options_(std::move(options)) {
  if (!options_.now_us) options_.now_us = system_now_us;
}

RocksProjectionAdmin::~RocksProjectionAdmin() {
  stopping_.store(true);
  std::lock_guard lock(mutex_);
  for (auto& [name, job] : rebuilds_) {
    if (job->thread.joinable()) job->thread.join();
  }
}

bool RocksProjectionAdmin::known(const std::string& name) const {
  for (const auto& projection : live_.stats().projections) {
    if (projection.name == name) return true;
  }
  return false;
}

std::vector<ProjectionStatus> RocksProjectionAdmin::list() const {
  const auto stats = live_.stats();
  std::vector<std::uint64_t> ends;
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) ends.push_back(log_.end_offset(p));
  const auto lags = projection_lags(stats, ends, options_.now_us(), log_time_reader(log_));

  std::vector<ProjectionStatus> out;
  for (const auto& projection : stats.projections) {
    ProjectionStatus status;
    status.name = projection.name;
    status.version = projection.version;
    status.sink = "rocksdb";
    status.state = !projection.failure.empty() ? "failed" : projection.paused ? "paused" : "running";
    status.error = projection.failure;
    status.checkpoints = projection.checkpoints;
    status.log_ends = ends;
    for (const auto& lag : lags) {
      if (lag.projection != projection.name) continue;
      status.lag_events += lag.events;
      status.lag_seconds = std::max(status.lag_seconds, lag.seconds);
    }
    std::lock_guard lock(mutex_);
    if (auto it = rebuilds_.find(projection.name); it != rebuilds_.end()) {
      std::lock_guard job_lock(it->second->mutex);
      status.rebuild = it->second->status;
      const auto& state = status.rebuild->state;
      if (state == "building" || state == "swapping") status.state = "rebuilding";
    }
    out.push_back(std::move(status));
  }
  return out;
}

OperationResult RocksProjectionAdmin::rebuild(const std::string& name) {
  if (!known(name) || !options_.factory) return {OperationResult::Code::not_found, "no RocksDB projection " + name};
  std::lock_guard lock(mutex_);
  auto& slot = rebuilds_[name];
  if (slot) {
    std::lock_guard job_lock(slot->mutex);
    if (slot->status.finished_at_us == 0) {
      return {OperationResult::Code::conflict, "a rebuild of " + name + " is running (to version " +
                                                   std::to_string(slot->status.target_version) + ")"};
    }
  }
  if (slot && slot->thread.joinable()) slot->thread.join();  // finished: reap it
  int live_version = 1;
  for (const auto& projection : live_.stats().projections) {
    if (projection.name == name) live_version = projection.version;
  }
  slot = std::make_unique<Rebuild>();
  slot->status.target_version = live_version + 1;
  slot->status.state = "building";
  slot->status.started_at_us = options_.now_us();
  auto* job = slot.get();
  job->thread = std::thread([this, name, target = live_version + 1, job] { run_rebuild(name, target, *job); });
  return OperationResult::ok();
}

void RocksProjectionAdmin::run_rebuild(const std::string& name, int target, Rebuild& job) {
  auto finish = [&](std::string state, std::string error = {}) {
    std::lock_guard lock(job.mutex);
    job.status.state = std::move(state);
    job.status.error = std::move(error);
    job.status.finished_at_us = options_.now_us();
    if (job.status.state == "done") job.status.eta_seconds = 0;
  };
  try {
    auto log = observability::log("projections");
    log->info("rebuild of {} to version {}: started", name, target);
    // Whatever an interrupted rebuild to this version left behind goes first.
    auto fresh = options_.factory(name);
    store_.drop_version(name, target, fresh->key_prefixes());
    std::vector<std::unique_ptr<Projection>> one;
    one.push_back(std::move(fresh));
    Projector rebuilt(log_, store_, std::move(one),
                      {.batch_size = options_.rebuild_batch_size, .version = target, .publish = false});
    const auto started = std::chrono::steady_clock::now();
    for (;;) {
      if (stopping_.load()) return finish("cancelled", "the server stopped");
      const std::size_t folded_now = rebuilt.catch_up_pass();
      const auto folded = sum(rebuilt.stats().projections.front().checkpoints);
      std::uint64_t total = 0;
      for (std::uint32_t p = 0; p < log_.partition_count(); ++p) total += log_.end_offset(p);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      {
        std::lock_guard lock(job.mutex);
        job.status.folded = folded;
        job.status.total = total;
        job.status.events_per_second = elapsed > 0 ? static_cast<double>(folded) / elapsed : 0;
        job.status.eta_seconds = job.status.events_per_second > 0
                                     ? static_cast<double>(total > folded ? total - folded : 0) / job.status.events_per_second
                                     : -1;
      }
      if (folded_now == 0) break;  // at the log's end: swap (live writes keep coming, swap_in closes the gap)
    }
    {
      std::lock_guard lock(job.mutex);
      job.status.state = "swapping";
    }
    const auto replaced = live_.swap_in(rebuilt);
    if (!replaced) return finish("failed", "could not fold the new version up to the live one (see the log)");
    const auto prefixes = options_.factory(name)->key_prefixes();
    store_.drop_version(name, *replaced, prefixes);
    log->info("rebuild of {}: version {} is live, version {} dropped", name, target, *replaced);
    finish("done");
  } catch (const std::exception& error) {
    observability::log("projections")->error("rebuild of {} failed: {}", name, error.what());
    finish("failed", error.what());
  }
}

OperationResult RocksProjectionAdmin::pause(const std::string& name) {
  if (!live_.set_paused(name, true)) return {OperationResult::Code::not_found, "no RocksDB projection " + name};
  return OperationResult::ok();
}

OperationResult RocksProjectionAdmin::resume(const std::string& name) {
  if (!live_.set_paused(name, false)) return {OperationResult::Code::not_found, "no RocksDB projection " + name};
  return OperationResult::ok();
}

OperationResult RocksProjectionAdmin::reset(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = rebuilds_.find(name); it != rebuilds_.end()) {
      std::lock_guard job_lock(it->second->mutex);
      if (it->second->status.finished_at_us == 0) {
        return {OperationResult::Code::conflict, "a rebuild of " + name + " is running; reset after it ends"};
      }
    }
  }
  if (!live_.reset(name)) return {OperationResult::Code::not_found, "no RocksDB projection " + name};
  return OperationResult::ok();
}

std::string dead_letter_id(const v1::DeadLetter& letter) {
  return letter.projection() + ":" + std::to_string(letter.partition()) + ":" + std::to_string(letter.offset());
}

std::optional<DeadLetterRef> parse_dead_letter_id(std::string_view id) {
  const auto second = id.rfind(':');
  if (second == std::string_view::npos || second == 0) return std::nullopt;
  const auto first = id.rfind(':', second - 1);
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  DeadLetterRef ref;
  ref.projection = std::string(id.substr(0, first));
  const auto partition = id.substr(first + 1, second - first - 1);
  const auto offset = id.substr(second + 1);
  auto p = std::from_chars(partition.data(), partition.data() + partition.size(), ref.partition);
  auto o = std::from_chars(offset.data(), offset.data() + offset.size(), ref.offset);
  if (p.ec != std::errc{} || p.ptr != partition.data() + partition.size() || partition.empty() ||
      o.ec != std::errc{} || o.ptr != offset.data() + offset.size() || offset.empty()) {
    return std::nullopt;
  }
  return ref;
}

std::vector<v1::DeadLetter> RocksProjectionAdmin::dead_letters(const std::string& projection, std::size_t limit) const {
  const std::string prefix = projection.empty() ? "dl/" : keys::dead_letters_prefix(projection);
  std::vector<v1::DeadLetter> out;
  std::unique_ptr<rocksdb::Iterator> it(store_.db().NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Next()) {
    v1::DeadLetter letter;
    if (letter.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) out.push_back(std::move(letter));
  }
  return out;
}

OperationResult RocksProjectionAdmin::retry_dead_letter(const std::string& id) {
  const auto ref = parse_dead_letter_id(id);
  if (!ref) return {OperationResult::Code::not_found, "not a dead letter id (projection:partition:offset): " + id};
  if (!known(ref->projection)) return {OperationResult::Code::not_found, "no RocksDB projection " + ref->projection};
  const auto error = live_.retry_dead_letter(ref->projection, ref->partition, ref->offset);
  if (error.rfind("no dead letter", 0) == 0) return {OperationResult::Code::not_found, error};
  if (!error.empty()) return {OperationResult::Code::conflict, "the event still does not fold: " + error};
  return OperationResult::ok();
}

OperationResult RocksProjectionAdmin::skip_dead_letter(const std::string& id) {
  const auto ref = parse_dead_letter_id(id);
  if (!ref) return {OperationResult::Code::not_found, "not a dead letter id (projection:partition:offset): " + id};
  const auto key = keys::dead_letter(ref->projection, ref->partition, ref->offset);
  std::string stored;
  if (!store_.db().Get(rocksdb::ReadOptions(), key, &stored).ok()) {
    return {OperationResult::Code::not_found, "no dead letter " + id};
  }
  rocksdb::WriteOptions options;
  options.sync = true;  // an operator's decision: keep it across a crash
  auto status = store_.db().Delete(options, key);
  if (!status.ok()) return {OperationResult::Code::conflict, "cannot delete " + id + ": " + status.ToString()};
  observability::log("projections")->warn("dead letter {} skipped: the projection will never fold it", id);
  return OperationResult::ok();
}

}  // namespace orderline::projections
