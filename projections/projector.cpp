#include "projections/projector.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "observability/log.h"
#include "observability/log_context.h"
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

  rocksdb::Status commit() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return db_.Write(options, batch_.GetWriteBatch());
  }

 private:
  rocksdb::DB& db_;
  rocksdb::WriteBatchWithIndex batch_;
};

}  // namespace

Projector::Projector(const eventstore::EventLog& log, ReadModelStore& store,
                     std::vector<std::unique_ptr<Projection>> projections, ProjectorOptions options)
    : log_(log), store_(store), projections_(std::move(projections)), options_(options) {
  for (const auto& projection : projections_) {
    std::vector<std::uint64_t> per_partition;
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
      per_partition.push_back(store_.stored_checkpoint(projection->name(), p));
    }
    checkpoints_.push_back(std::move(per_partition));
  }
  for (std::uint32_t p = 0; p < log_.partition_count(); ++p) {
    std::uint64_t lowest = UINT64_MAX;
    for (const auto& per_partition : checkpoints_) lowest = std::min(lowest, per_partition[p]);
    store_.publish(p, projections_.empty() ? log_.end_offset(p) : lowest);
  }
  if (options_.order_feed) options_.order_feed->on_start(store_.checkpoints());
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
  for (bool progressed = true; progressed;) {
    progressed = false;
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) progressed |= step(p) > 0;
  }
}

void Projector::run() {
  std::vector<std::uint64_t> seen(log_.partition_count(), 0);
  while (running_.load()) {
    bool progressed = false;
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) progressed |= step(p) > 0;
    if (progressed) continue;
    // Idle: sleep until any partition grows (bounded, so stop() is noticed).
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) seen[p] = log_.end_offset(p);
    log_.wait_any(seen, std::chrono::milliseconds(100));
  }
}

ProjectorStats Projector::stats() const {
  ProjectorStats stats;
  stats.applied_events = applied_events_.load();
  std::lock_guard lock(checkpoints_mutex_);
  for (std::size_t i = 0; i < projections_.size(); ++i) {
    stats.projections.push_back({projections_[i]->name(), checkpoints_[i]});
  }
  return stats;
}

std::size_t Projector::step(std::uint32_t partition) {
  std::uint64_t from = UINT64_MAX;
  for (const auto& per_partition : checkpoints_) from = std::min(from, per_partition[partition]);
  if (from >= log_.end_offset(partition)) return 0;

  const auto started = std::chrono::steady_clock::now();
  auto records = log_.read(partition, from, options_.batch_size);
  if (!records) {
    observability::log("projector")->error("cannot read partition {} at {}: {}", partition, from, records.detail);
    return 0;
  }
  if (records.value->empty()) return 0;

  IndexedBatchWriter writer(store_.db());
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  const bool debug = observability::should_log(spdlog::level::debug);
  std::vector<OrderUpdate> updates;
  for (const auto& record : *records.value) {
    const bool envelope_ok = envelope.ParseFromString(record.value);
    // Lines about this event carry the ids of the request and command that wrote it.
    observability::ScopedLogContext scope(envelope.correlation_id(), envelope.causation_id());
    if (!envelope_ok || !event.ParseFromString(envelope.payload())) {
      // Undecodable: skip it rather than stall every read model (dead letters: a later issue).
      observability::log("projector")->error("undecodable event at {}/{} (stream {})", partition, record.offset, record.key);
      continue;
    }
    if (debug) {
      observability::log("projector")->debug("projecting {} {}@{} at {}/{}", envelope.type(), envelope.stream_id(),
                                             envelope.stream_version(), partition, record.offset);
    }
    const EventContext context{record, envelope, event};
    for (std::size_t i = 0; i < projections_.size(); ++i) {
      // A projection added later starts from its own checkpoint.
      if (record.offset >= checkpoints_[i][partition]) projections_[i]->apply(context, writer);
    }
    if (options_.order_feed) {
      if (auto update = order_update(context, writer)) updates.push_back(std::move(*update));
    }
  }
  // A projection ahead of this batch (added earlier than another) keeps its own checkpoint.
  const std::uint64_t next = records.value->back().offset + 1;
  std::vector<std::uint64_t> advanced(projections_.size());
  std::string encoded;
  for (std::size_t i = 0; i < projections_.size(); ++i) {
    advanced[i] = std::max(next, checkpoints_[i][partition]);
    encoded.clear();
    codec::put_u64(encoded, advanced[i]);
    writer.put(keys::checkpoint(projections_[i]->name(), partition), encoded);
  }

  auto status = writer.commit();
  if (!status.ok()) {
    observability::log("projector")->error("cannot write read models (partition {}, offsets {}..{}): {}", partition, from,
                                           next - 1, status.ToString());
    return 0;
  }
  std::uint64_t lowest = UINT64_MAX;
  {
    std::lock_guard lock(checkpoints_mutex_);
    for (std::size_t i = 0; i < projections_.size(); ++i) {
      checkpoints_[i][partition] = advanced[i];
      lowest = std::min(lowest, advanced[i]);
    }
  }
  applied_events_.fetch_add(records.value->size());
  // Before publishing: a reader that waited for this batch (after=TOKEN) then sees it counted.
  if (options_.observer) {
    options_.observer->on_batch(partition, records.value->size(), std::chrono::steady_clock::now() - started);
  }
  store_.publish(partition, lowest);
  // After publishing: a client told of an update can query with its position at once.
  if (options_.order_feed) options_.order_feed->on_batch(partition, next, std::move(updates));
  return records.value->size();
}

}  // namespace orderline::projections
