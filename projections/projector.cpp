#include "projections/projector.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "observability/log.h"
#include "observability/log_context.h"
#include "orderline/v1/views.pb.h"
#include "projections/keys.h"

namespace orderline::projections {
namespace {

class IndexedBatchWriter final : public BatchWriter {
 public:
  explicit IndexedBatchWriter(rocksdb::DB& db) : db_(db), batch_(rocksdb::BytewiseComparator(), 0, true) {}

  std::optional<std::string> get(std::string_view key) override {
    std::string value;
    auto status = batch_.GetFromBatchAndDB(&db_, rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
    if (!status.ok()) return std::nullopt;
    return value;
  }
  void put(std::string_view key, std::string_view value) override {
    batch_.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  }
  void erase(std::string_view key) override { batch_.Delete(rocksdb::Slice(key.data(), key.size())); }
  // A merge: the read models' merge operator adds the rows (counter_row.h).
  void add_counters(std::string_view key, std::string_view row) override {
    batch_.Merge(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(row.data(), row.size()));
  }

  // Around one projection's apply of one event, so a throw takes back exactly its writes.
  void set_save_point() { batch_.SetSavePoint(); }
  void discard_save_point() { batch_.PopSavePoint(); }
  void roll_back_to_save_point() { batch_.RollbackToSavePoint(); }

  rocksdb::Status commit() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return db_.Write(options, batch_.GetWriteBatch());
  }

 private:
  rocksdb::DB& db_;
  rocksdb::WriteBatchWithIndex batch_;
};


std::int64_t wall_clock_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Reads and writes of one projection version: every key under its version prefix.
class PrefixedWriter final : public BatchWriter {
 public:
  PrefixedWriter(BatchWriter& inner, const std::string& prefix) : inner_(inner), prefix_(prefix) {}
  std::optional<std::string> get(std::string_view key) override { return inner_.get(with_prefix(key)); }
  void put(std::string_view key, std::string_view value) override { inner_.put(with_prefix(key), value); }
  void erase(std::string_view key) override { inner_.erase(with_prefix(key)); }
  void add_counters(std::string_view key, std::string_view row) override { inner_.add_counters(with_prefix(key), row); }

 private:
  std::string with_prefix(std::string_view key) const {
    if (prefix_.empty()) return std::string(key);
    return prefix_ + std::string(key);
  }
  BatchWriter& inner_;
  const std::string& prefix_;
};

}  // namespace

Projector::Projector(const eventstore::EventLog& log, ReadModelStore& store,
                     std::vector<std::unique_ptr<Projection>> projections, ProjectorOptions options)
    : log_(log), store_(store), options_(options) {
  for (auto& projection : projections) {
    Instance instance;
    const auto name = projection->name();
    instance.version = options_.version > 0 ? options_.version : store_.active_version(name);
    instance.prefix = keys::version_prefix(name, instance.version);
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
      instance.checkpoints.push_back(store_.stored_checkpoint(name, p, instance.version));
    }
    refold_if_other_format(name, *projection, instance);
    instance.projection = std::move(projection);
    instances_.push_back(std::move(instance));
  }
  if (options_.publish) {
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) publish_lowest(p);
  }
  if (options_.order_feed) options_.order_feed->on_start(store_.checkpoints());
}

void Projector::refold_if_other_format(const std::string& name, const Projection& projection, Instance& instance) {
  const int format = projection.format();
  if (store_.stored_format(name, instance.version) == format) return;
  const bool written = std::any_of(instance.checkpoints.begin(), instance.checkpoints.end(),
                                   [](std::uint64_t offset) { return offset > 0; });
  if (written) {
    // Its values cannot be read any more: fold it again rather than park every event that
    // meets one of them as a dead letter.
    observability::log("projector")->warn("{} v{} was written in format {}, this build writes {}: folding it again",
                                          name, instance.version, store_.stored_format(name, instance.version),
                                          format);
    store_.drop_version(name, instance.version, projection.key_prefixes());
    std::fill(instance.checkpoints.begin(), instance.checkpoints.end(), 0);
  }
  store_.set_format(name, instance.version, format);
}

Projector::~Projector() { stop(); }

void Projector::start() {
  running_.store(true);
  thread_ = std::thread([this] { run(); });
}

void Projector::stop() {
  running_.store(false);
  if (thread_.joinable()) thread_.join();
}

void Projector::catch_up() {
  while (catch_up_pass() > 0) {
  }
}

std::size_t Projector::catch_up_pass() {
  std::size_t folded = 0;
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) folded += step(p);
  return folded;
}

void Projector::run() {
  std::vector<std::uint64_t> seen(log_.partition_count(), 0);
  while (running_.load()) {
    if (catch_up_pass() > 0) continue;
    // Idle: sleep until any partition grows (bounded, so stop() is noticed).
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) seen[p] = log_.end_offset(p);
    log_.wait_any(seen, std::chrono::milliseconds(100));
  }
}

ProjectorStats Projector::stats() const {
  ProjectorStats stats;
  stats.applied_events = applied_events_.load();
  std::lock_guard lock(checkpoints_mutex_);
  for (const auto& instance : instances_) {
    stats.projections.push_back(
        {instance.projection->name(), instance.checkpoints, instance.version, instance.paused, instance.failure});
  }
  return stats;
}

Projector::Instance* Projector::find(const std::string& name) {
  for (auto& instance : instances_) {
    if (instance.projection->name() == name) return &instance;
  }
  return nullptr;
}

void Projector::publish_lowest(std::uint32_t partition) {
  // Read-your-writes waits for every projection, paused ones included: a paused read model
  // is behind, and saying otherwise would break after=TOKEN.
  std::uint64_t lowest = instances_.empty() ? log_.end_offset(partition) : UINT64_MAX;
  for (const auto& instance : instances_) lowest = std::min(lowest, instance.checkpoints[partition]);
  store_.publish(partition, lowest);
}

bool Projector::set_paused(const std::string& name, bool paused) {
  std::lock_guard step_lock(step_mutex_);
  auto* instance = find(name);
  if (!instance) return false;
  std::lock_guard lock(checkpoints_mutex_);
  instance->paused = paused;
  if (!paused) instance->failure.clear();  // resume retries the event it stopped on
  return true;
}

bool Projector::reset(const std::string& name) {
  std::lock_guard step_lock(step_mutex_);
  auto* instance = find(name);
  if (!instance) return false;
  store_.drop_version(name, instance->version, instance->projection->key_prefixes());
  {
    std::lock_guard lock(checkpoints_mutex_);
    std::fill(instance->checkpoints.begin(), instance->checkpoints.end(), 0);
  }
  if (options_.publish) {
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) publish_lowest(p);
  }
  return true;
}

std::optional<int> Projector::swap_in(Projector& rebuilt) {
  if (rebuilt.instances_.size() != 1) return std::nullopt;
  const auto name = rebuilt.instances_.front().projection->name();
  std::lock_guard step_lock(step_mutex_);
  auto* live = find(name);
  if (!live) return std::nullopt;
  // With this projector held, its checkpoints stand still: fold the rebuild up to them.
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
    while (rebuilt.instances_.front().checkpoints[p] < live->checkpoints[p]) {
      if (rebuilt.step(p) == 0) break;  // unreadable log: the checks below refuse the swap
    }
    if (rebuilt.instances_.front().checkpoints[p] < live->checkpoints[p]) return std::nullopt;
  }
  std::lock_guard rebuilt_lock(rebuilt.step_mutex_);
  auto& fresh = rebuilt.instances_.front();
  store_.set_active_version(name, fresh.version);
  const int replaced = live->version;
  {
    std::lock_guard lock(checkpoints_mutex_);
    live->projection = std::move(fresh.projection);
    live->version = fresh.version;
    live->prefix = fresh.prefix;
    live->checkpoints = fresh.checkpoints;
  }
  rebuilt.instances_.clear();
  return replaced;
}

void Projector::skip_to(std::uint32_t partition, std::uint64_t end) {
  rocksdb::WriteBatch batch;
  std::string encoded;
  for (const auto& instance : instances_) {
    if (instance.paused || instance.checkpoints[partition] >= end) continue;
    encoded.clear();
    codec::put_u64(encoded, end);
    batch.Put(instance.prefix + keys::checkpoint(instance.projection->name(), partition), encoded);
  }
  if (batch.Count() == 0) return;
  auto status = store_.db().Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) {
    observability::log("projector")->error("cannot write checkpoints (partition {}): {}", partition, status.ToString());
    return;
  }
  {
    std::lock_guard lock(checkpoints_mutex_);
    for (auto& instance : instances_) {
      if (!instance.paused) instance.checkpoints[partition] = std::max(instance.checkpoints[partition], end);
    }
  }
  if (options_.publish) publish_lowest(partition);
}

std::size_t Projector::step(std::uint32_t partition) {
  std::lock_guard step_lock(step_mutex_);
  return step_locked(partition);
}

std::size_t Projector::step_locked(std::uint32_t partition) {
  std::uint64_t from = UINT64_MAX;
  for (const auto& instance : instances_) {
    if (!instance.paused) from = std::min(from, instance.checkpoints[partition]);
  }
  const std::uint64_t end = log_.end_offset(partition);
  if (from >= end) return 0;

  const auto started = std::chrono::steady_clock::now();
  auto records = log_.read(partition, from, options_.batch_size);
  if (!records) {
    observability::log("projector")->error("cannot read partition {} at {}: {}", partition, from, records.detail);
    return 0;
  }
  if (records.value->empty()) {
    // A successful empty read below the end means [from, end) holds no committed record:
    // Kafka's transaction markers (and aborted records) take offsets that readers never
    // see. Step over them, so the checkpoints reach the end a caught-up reader expects.
    skip_to(partition, end);
    return 0;
  }

  IndexedBatchWriter batch(store_.db());
  std::map<std::size_t, std::uint64_t> stopped_at;  // instance -> offset it stopped on (PoisonPolicy::stop)
  // Parks the event or stops the projection on it.
  auto poison = [&](Instance& instance, const eventstore::LogRecord& record, const v1::EventEnvelope* envelope,
                    const std::string& error, int attempts, IndexedBatchWriter& into,
                    std::map<std::size_t, std::uint64_t>& stops) {
    const auto name = instance.projection->name();
    if (options_.on_poison == PoisonPolicy::stop) {
      observability::log("projector")->error("projection {} stopped on the event at {}/{} (stream {}): {}", name,
                                             partition, record.offset, record.key, error);
      stops[static_cast<std::size_t>(&instance - instances_.data())] = record.offset;
      std::lock_guard lock(checkpoints_mutex_);
      instance.paused = true;
      instance.failure = "stopped on the event at " + std::to_string(partition) + "/" + std::to_string(record.offset) +
                         ": " + error;
    } else {
      observability::log("projector")->error("projection {} parked the event at {}/{} (stream {}) as a dead letter: {}",
                                             name, partition, record.offset, record.key, error);
      v1::DeadLetter letter;
      letter.set_projection(name);
      letter.set_partition(partition);
      letter.set_offset(record.offset);
      letter.set_stream_id(record.key);
      if (envelope) letter.set_event_type(envelope->type());
      letter.set_error(error);
      letter.set_attempts(static_cast<std::uint32_t>(attempts));
      letter.set_parked_at_us(wall_clock_us());
      letter.set_log_time_us(record.log_time_us);
      into.put(keys::dead_letter(name, partition, record.offset), letter.SerializeAsString());
    }
    if (options_.observer) options_.observer->on_poison_event(name, options_.on_poison == PoisonPolicy::stop);
  };
  std::vector<PrefixedWriter> writers;
  writers.reserve(instances_.size());
  for (const auto& instance : instances_) writers.emplace_back(batch, instance.prefix);
  PrefixedWriter* order_details = nullptr;  // the order feed reads its documents
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (instances_[i].projection->name() == "order_details" && !instances_[i].paused) order_details = &writers[i];
  }
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  const bool debug = observability::should_log(spdlog::level::debug);
  std::vector<OrderUpdate> updates;
  for (const auto& record : *records.value) {
    const bool envelope_ok = envelope.ParseFromString(record.value);
    // Lines about this event carry the ids of the request and command that wrote it.
    observability::ScopedLogContext scope(envelope.correlation_id(), envelope.causation_id());
    const bool decoded = envelope_ok && event.ParseFromString(envelope.payload());
    if (decoded && debug) {
      observability::log("projector")->debug("projecting {} {}@{} at {}/{}", envelope.type(), envelope.stream_id(),
                                             envelope.stream_version(), partition, record.offset);
    }
    const EventContext context{record, envelope, event};
    for (std::size_t i = 0; i < instances_.size(); ++i) {
      // Each projection from its own checkpoint (one added or reset later starts behind).
      auto& instance = instances_[i];
      if (instance.paused || record.offset < instance.checkpoints[partition]) continue;
      std::string error = decoded ? "" : "undecodable event (envelope or payload does not parse)";
      int attempts = 0;
      while (decoded && attempts < std::max(1, options_.max_attempts)) {
        if (attempts > 0) std::this_thread::sleep_for(options_.retry_backoff * (1 << std::min(attempts - 1, 10)));
        ++attempts;
        batch.set_save_point();
        try {
          instance.projection->apply(context, writers[i]);
          batch.discard_save_point();
          error.clear();
          break;
        } catch (const std::exception& e) {
          batch.roll_back_to_save_point();
          error = e.what();
        }
      }
      if (!error.empty()) poison(instance, record, decoded ? &envelope : nullptr, error, attempts, batch, stopped_at);
    }
    // The order's update as order_details now shows it (through its live version's keys).
    if (options_.order_feed && decoded && order_details) {
      if (auto update = order_update(context, *order_details)) updates.push_back(std::move(*update));
    }
  }
  const std::uint64_t next = records.value->back().offset + 1;
  std::vector<std::uint64_t> advanced(instances_.size());
  std::string encoded;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const auto& instance = instances_[i];
    if (auto it = stopped_at.find(i); it != stopped_at.end()) {
      advanced[i] = it->second;  // stopped on this event: it stays the next to fold
    } else {
      advanced[i] = instance.paused ? instance.checkpoints[partition] : std::max(next, instance.checkpoints[partition]);
    }
    encoded.clear();
    codec::put_u64(encoded, advanced[i]);
    writers[i].put(keys::checkpoint(instance.projection->name(), partition), encoded);
  }

  const auto write_started = std::chrono::steady_clock::now();
  auto status = batch.commit();
  if (options_.observer) options_.observer->on_write(std::chrono::steady_clock::now() - write_started);
  if (!status.ok()) {
    observability::log("projector")->error("cannot write read models (partition {}, offsets {}..{}): {}", partition, from,
                                           next - 1, status.ToString());
    return 0;
  }
  {
    std::lock_guard lock(checkpoints_mutex_);
    for (std::size_t i = 0; i < instances_.size(); ++i) instances_[i].checkpoints[partition] = advanced[i];
  }
  applied_events_.fetch_add(records.value->size());
  // Before publishing: a reader that waited for this batch (after=TOKEN) then sees it counted.
  if (options_.observer) {
    options_.observer->on_batch(partition, records.value->size(), std::chrono::steady_clock::now() - started);
  }
  if (options_.publish) publish_lowest(partition);
  // After publishing: a client told of an update can query with its position at once.
  if (options_.order_feed) options_.order_feed->on_batch(partition, next, std::move(updates));
  return records.value->size();
}

std::string Projector::retry_dead_letter(const std::string& name, std::uint32_t partition, std::uint64_t offset) {
  std::lock_guard step_lock(step_mutex_);
  auto* instance = find(name);
  if (!instance) return "no projection " + name;
  const auto key = keys::dead_letter(name, partition, offset);
  std::string stored;
  v1::DeadLetter letter;
  if (!store_.db().Get(rocksdb::ReadOptions(), key, &stored).ok() || !letter.ParseFromString(stored)) {
    return "no dead letter of " + name + " at " + std::to_string(partition) + "/" + std::to_string(offset);
  }
  auto records = log_.read(partition, offset, 1);
  if (!records || records.value->empty() || records.value->front().offset != offset) {
    return "cannot read the event at " + std::to_string(partition) + "/" + std::to_string(offset) + " from the log";
  }
  const auto& record = records.value->front();
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  IndexedBatchWriter batch(store_.db());
  std::string error;
  if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) {
    error = "undecodable event (envelope or payload does not parse)";
  } else {
    PrefixedWriter writer(batch, instance->prefix);
    try {
      instance->projection->apply({record, envelope, event}, writer);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  IndexedBatchWriter outcome(store_.db());
  IndexedBatchWriter& into = error.empty() ? batch : outcome;  // a failed try keeps none of its writes
  if (error.empty()) {
    into.erase(key);
  } else {
    letter.set_error(error);
    letter.set_attempts(letter.attempts() + 1);
    into.put(key, letter.SerializeAsString());
  }
  auto status = into.commit();
  if (!status.ok()) return "cannot write the read models: " + status.ToString();
  return error;
}

}  // namespace orderline::projections
