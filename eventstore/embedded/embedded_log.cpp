#include "eventstore/embedded/embedded_log.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <stdexcept>

#include "eventstore/embedded/key_codec.h"
#include "eventstore/offset_for_time.h"

namespace orderline::eventstore {
namespace {

constexpr std::size_t kEvents = 1, kStreams = 2, kOutcomes = 3, kSnapshots = 4;
constexpr const char* kPartitionCountKey = "meta/partitions";

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string stream_prefix(std::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

}  // namespace

const char* to_string(LogError e) {
  switch (e) {
    case LogError::io_error: return "io_error";
    case LogError::closed: return "closed";
    case LogError::bad_partition: return "bad_partition";
    case LogError::corrupt: return "corrupt";
    case LogError::too_large: return "too_large";
    case LogError::unavailable: return "unavailable";
  }
  return "unknown";
}

std::string event_key(std::uint32_t partition, std::uint64_t offset) {
  std::string key;
  key.reserve(12);
  codec::put_u32(key, partition);
  codec::put_u64(key, offset);
  return key;
}

bool decode_event_value(std::string_view value, LogRecord& out) {
  if (value.size() < 12) return false;
  out.log_time_us = static_cast<std::int64_t>(codec::get_u64(value.substr(0, 8)));
  const std::uint32_t key_len = codec::get_u32(value.substr(8, 4));
  if (value.size() < 12 + std::size_t{key_len}) return false;
  out.key.assign(value.substr(12, key_len));
  out.value.assign(value.substr(12 + key_len));
  return true;
}

EmbeddedLog::EmbeddedLog(EmbeddedLogOptions options)
    : options_(std::move(options)), partitions_(options_.partitions) {
  if (partitions_ == 0 || partitions_ > 1024) throw std::runtime_error("partitions must be 1..1024");
  if (options_.outcome_retention < kMinOutcomeRetention) {
    throw std::runtime_error("outcome retention must be at least 24 hours (DESIGN rule 4)");
  }
  if (!options_.now_us) options_.now_us = now_us;
  outcome_filter_ = make_outcome_retention_filter(options_.outcome_retention, options_.now_us);

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  if (options_.env != nullptr) db_options.env = options_.env;
  // Appends are sequential per partition: big memtables, few flushes.
  db_options.write_buffer_size = 64 << 20;
  db_options.max_total_wal_size = 256 << 20;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.compression = rocksdb::kLZ4Compression;
  // Most outcome look-ups are misses (a new command id): a memtable bloom filter answers
  // them without walking the skiplist.
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;

  rocksdb::ColumnFamilyOptions outcome_options(cf_options);
  outcome_options.compaction_filter = outcome_filter_.get();
  outcome_options.periodic_compaction_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(kOutcomePeriodicCompaction).count();

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"events", cf_options},
      {"streams", cf_options},
      {"outcomes", outcome_options},
      {"snapshots", cf_options},
  };
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(db_options), options_.path, families,
                                  &handles_, &raw);
  if (!status.ok()) throw std::runtime_error("cannot open event log at " + options_.path + ": " +
                                             status.ToString());
  db_.reset(raw);

  std::string stored;
  status = db_->Get(rocksdb::ReadOptions(), handles_[0], kPartitionCountKey, &stored);
  if (status.ok()) {
    if (stored != std::to_string(partitions_)) {
      close();
      throw std::runtime_error("event log at " + options_.path + " has " + stored +
                               " partitions, not " + std::to_string(options_.partitions) +
                               "; the count is fixed at creation");
    }
  } else {
    rocksdb::WriteOptions write;
    write.sync = true;
    db_->Put(write, handles_[0], kPartitionCountKey, std::to_string(partitions_));
  }

  for (std::uint32_t p = 0; p < partitions_; ++p) {
    state_.push_back(std::make_unique<PartitionState>());
    state_.back()->write_batch = std::make_unique<rocksdb::WriteBatch>();
  }
  recover_ends();
}

EmbeddedLog::~EmbeddedLog() { close(); }

void EmbeddedLog::close() {
  if (!db_) return;
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  db_->Close();
  db_.reset();
}

// The end of each partition is one past its last key; its log time bounds the next one.
void EmbeddedLog::recover_ends() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[kEvents]));
  for (std::uint32_t p = 0; p < partitions_; ++p) {
    it->SeekForPrev(event_key(p, UINT64_MAX));
    if (it->Valid() && it->key().size() == 12 && codec::get_u32(it->key().ToStringView().substr(0, 4)) == p) {
      state_[p]->end = codec::get_u64(it->key().ToStringView().substr(4, 8)) + 1;
      LogRecord record;
      if (decode_event_value(it->value().ToStringView(), record)) {
        state_[p]->last_log_time_us = record.log_time_us;
      }
    }
  }
}

LogResult<bool> EmbeddedLog::checkpoint(const std::string& dir) const {
  using R = LogResult<bool>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  rocksdb::Checkpoint* raw = nullptr;
  auto status = rocksdb::Checkpoint::Create(db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (status.ok()) status = checkpoint->CreateCheckpoint(dir);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  return R::ok(true);
}

LogResult<bool> EmbeddedLog::expire_outcomes() {
  using R = LogResult<bool>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  auto status = db_->CompactRange(compact, handles_[kOutcomes], nullptr, nullptr);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  return R::ok(true);
}

LogResult<AppendResult> EmbeddedLog::append(std::uint32_t partition, const AppendBatch& batch) {
  using R = LogResult<AppendResult>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  if (partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  auto& state = *state_[partition];

  // One writer per partition: end and last_log_time are ours to read without the lock.
  const std::uint64_t first = state.end;
  const std::int64_t log_time = std::max(now_us(), state.last_log_time_us);

  rocksdb::WriteBatch& write_batch = *state.write_batch;
  write_batch.Clear();
  std::string value, index_key, index_value;
  std::uint64_t offset = first;
  for (const auto& record : batch.records) {
    value.clear();
    codec::put_u64(value, static_cast<std::uint64_t>(log_time));
    codec::put_u32(value, static_cast<std::uint32_t>(record.key.size()));
    value += record.key;
    value += record.value;
    write_batch.Put(handles_[kEvents], event_key(partition, offset), value);

    index_key = stream_prefix(record.key);
    codec::put_u64(index_key, record.stream_version);
    index_value.clear();
    codec::put_u32(index_value, partition);
    codec::put_u64(index_value, offset);
    write_batch.Put(handles_[kStreams], index_key, index_value);
    ++offset;
  }
  // The single writer's prediction is exact here: the batch gets offsets first.. in order.
  assert(!batch.predicted_first_offset || *batch.predicted_first_offset == first);
  AppendResult result{first, first + batch.records.size(), {}};
  std::string outcome_bytes;
  for (const auto& outcome : batch.outcomes) {
    outcome.SerializeToString(&outcome_bytes);
    write_batch.Put(handles_[kOutcomes], outcome.command_id(), outcome_bytes);
    result.outcome_offsets.push_back(outcome.offset());
  }

  std::string snapshot_value;
  for (const auto& snapshot : batch.snapshots) {
    snapshot_value.clear();
    codec::put_u64(snapshot_value, snapshot.version);
    codec::put_u32(snapshot_value, snapshot.partition);
    codec::put_u64(snapshot_value, snapshot.offset);
    snapshot_value += snapshot.state;
    write_batch.Put(handles_[kSnapshots], snapshot.stream_id, snapshot_value);
  }

  rocksdb::WriteOptions write;
  write.sync = options_.sync;
  const auto write_started = std::chrono::steady_clock::now();
  auto status = db_->Write(write, &write_batch);
  // A batch far larger than usual (a bulk import) is not kept for the next, small one.
  if (write_batch.GetDataSize() > (8u << 20)) *state.write_batch = rocksdb::WriteBatch();
  if (options_.observer) {
    options_.observer->on_append(partition, batch.records.size(), std::chrono::steady_clock::now() - write_started,
                                 status.ok());
  }
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());

  {
    std::lock_guard lock(state.mutex);
    state.end = offset;
    state.last_log_time_us = log_time;
  }
  state.grown.notify_all();
  {
    std::lock_guard lock(any_mutex_);
    ++appends_;
  }
  any_grown_.notify_all();
  return R::ok(std::move(result));
}

LogResult<std::vector<LogRecord>> EmbeddedLog::read(std::uint32_t partition, std::uint64_t from,
                                                    std::size_t max_records) const {
  using R = LogResult<std::vector<LogRecord>>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  if (partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  const std::uint64_t end = end_offset(partition);
  std::vector<LogRecord> records;
  if (from >= end) return R::ok(std::move(records));

  // Bound the scan by the published end: a concurrent append's keys may be visible in
  // RocksDB a moment before the end moves, and readers must never see past it.
  const std::string upper = event_key(partition, end);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kEvents]));
  records.reserve(std::min<std::uint64_t>(max_records, end - from));
  for (it->Seek(event_key(partition, from)); it->Valid() && records.size() < max_records; it->Next()) {
    LogRecord record;
    record.partition = partition;
    record.offset = codec::get_u64(it->key().ToStringView().substr(4, 8));
    if (!decode_event_value(it->value().ToStringView(), record)) {
      return R::fail(LogError::corrupt, "undecodable record at offset " + std::to_string(record.offset));
    }
    records.push_back(std::move(record));
  }
  if (!it->status().ok()) return R::fail(LogError::io_error, it->status().ToString());
  return R::ok(std::move(records));
}

std::uint64_t EmbeddedLog::end_offset(std::uint32_t partition) const {
  if (partition >= partitions_) return 0;
  std::lock_guard lock(state_[partition]->mutex);
  return state_[partition]->end;
}

LogResult<LogRecord> EmbeddedLog::get_record(std::uint32_t partition, std::uint64_t offset) const {
  using R = LogResult<LogRecord>;
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[kEvents], event_key(partition, offset), &value);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  LogRecord record;
  record.partition = partition;
  record.offset = offset;
  if (!decode_event_value(value, record)) return R::fail(LogError::corrupt, "undecodable record");
  return R::ok(std::move(record));
}

LogResult<std::uint64_t> EmbeddedLog::offset_for_time(std::uint32_t partition,
                                                      std::int64_t time_us) const {
  using R = LogResult<std::uint64_t>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  if (partition >= partitions_) return R::fail(LogError::bad_partition, "no such partition");
  LogResult<LogRecord> failure = LogResult<LogRecord>::fail(LogError::io_error, "");
  auto found = first_offset_at_or_after(end_offset(partition), time_us, [&](std::uint64_t offset) {
    auto record = get_record(partition, offset);
    if (!record) {
      failure = std::move(record);
      return std::optional<std::int64_t>();
    }
    return std::optional<std::int64_t>(record.value->log_time_us);
  });
  if (!found) return R::fail(failure.error, failure.detail);
  return R::ok(*found);
}

std::uint64_t EmbeddedLog::wait_beyond(std::uint32_t partition, std::uint64_t offset,
                                       std::chrono::milliseconds timeout) const {
  if (partition >= partitions_) return 0;
  auto& state = *state_[partition];
  std::unique_lock lock(state.mutex);
  state.grown.wait_for(lock, timeout, [&] { return state.end > offset || !db_; });
  return state.end;
}

std::vector<std::uint64_t> EmbeddedLog::wait_any(const std::vector<std::uint64_t>& ends,
                                                  std::chrono::milliseconds timeout) const {
  auto current = [&] {
    std::vector<std::uint64_t> now(partitions_);
    for (std::uint32_t p = 0; p < partitions_; ++p) now[p] = end_offset(p);
    return now;
  };
  std::unique_lock lock(any_mutex_);
  const std::uint64_t seen = appends_;
  lock.unlock();
  auto now = current();
  if (now != ends) return now;
  lock.lock();
  any_grown_.wait_for(lock, timeout, [&] { return appends_ != seen || !db_; });
  lock.unlock();
  return current();
}

LogResult<bool> EmbeddedLog::has_stream(std::string_view stream_id) const {
  // Most look-ups of a new command are of a stream that does not exist yet (a new order).
  // A point read of its first version is answered by the bloom filters; an iterator is
  // only worth creating when the stream has events.
  std::string first_key = stream_prefix(stream_id);
  codec::put_u64(first_key, 1);
  std::string ignored;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[kStreams], first_key, &ignored);
  if (status.IsNotFound()) return LogResult<bool>::ok(false);
  if (!status.ok()) return LogResult<bool>::fail(LogError::io_error, status.ToString());
  return LogResult<bool>::ok(true);
}

LogResult<std::vector<LogRecord>> EmbeddedLog::read_stream_from(std::string_view stream_id,
                                                                std::uint64_t from_version) const {
  using R = LogResult<std::vector<LogRecord>>;
  const std::string prefix = stream_prefix(stream_id);
  std::string start = prefix;
  codec::put_u64(start, from_version);
  std::string upper = prefix;
  upper.back() = '\x01';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kStreams]));
  std::vector<LogRecord> records;
  for (it->Seek(start); it->Valid(); it->Next()) {
    auto location = it->value().ToStringView();
    if (location.size() != 12) return R::fail(LogError::corrupt, "bad stream index entry");
    const std::uint32_t partition = codec::get_u32(location.substr(0, 4));
    const std::uint64_t offset = codec::get_u64(location.substr(4, 8));
    // Skip entries of a write not yet published (same rule as read()).
    if (offset >= end_offset(partition)) break;
    auto record = get_record(partition, offset);
    if (!record) return R::fail(record.error, record.detail);
    records.push_back(std::move(*record.value));
  }
  if (!it->status().ok()) return R::fail(LogError::io_error, it->status().ToString());
  return R::ok(std::move(records));
}

LogResult<std::vector<LogRecord>> EmbeddedLog::read_stream(std::string_view stream_id) const {
  using R = LogResult<std::vector<LogRecord>>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  auto exists = has_stream(stream_id);
  if (!exists) return R::fail(exists.error, exists.detail);
  if (!*exists.value) return R::ok({});
  return read_stream_from(stream_id, 1);
}

std::optional<StreamSnapshot> EmbeddedLog::get_snapshot(std::string_view stream_id) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[kSnapshots],
                         rocksdb::Slice(stream_id.data(), stream_id.size()), &value);
  // An unreadable snapshot is no snapshot: the stream itself is the truth.
  if (!status.ok() || value.size() < 20) return std::nullopt;
  StreamSnapshot snapshot;
  snapshot.stream_id.assign(stream_id);
  const std::string_view bytes(value);
  snapshot.version = codec::get_u64(bytes.substr(0, 8));
  snapshot.partition = codec::get_u32(bytes.substr(8, 4));
  snapshot.offset = codec::get_u64(bytes.substr(12, 8));
  // Written in the batch of its events, so it is published with them; one that points past
  // the published end (or at another partition) is not trusted.
  if (snapshot.version == 0 || snapshot.partition >= partitions_ || snapshot.offset >= end_offset(snapshot.partition)) {
    return std::nullopt;
  }
  snapshot.state.assign(bytes.substr(20));
  return snapshot;
}

LogResult<StreamTail> EmbeddedLog::read_stream_tail(std::string_view stream_id) const {
  using R = LogResult<StreamTail>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  auto exists = has_stream(stream_id);
  if (!exists) return R::fail(exists.error, exists.detail);
  StreamTail tail;
  if (!*exists.value) return R::ok(std::move(tail));
  tail.snapshot = get_snapshot(stream_id);
  auto records = read_stream_from(stream_id, tail.snapshot ? tail.snapshot->version + 1 : 1);
  if (!records) return R::fail(records.error, records.detail);
  tail.records = std::move(*records.value);
  return R::ok(std::move(tail));
}

LogResult<std::optional<v1::CommandOutcome>> EmbeddedLog::find_outcome(
    std::string_view command_id) const {
  using R = LogResult<std::optional<v1::CommandOutcome>>;
  if (!db_) return R::fail(LogError::closed, "event log is closed");
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[kOutcomes], rocksdb::Slice(command_id.data(), command_id.size()), &value);
  if (status.IsNotFound()) return R::ok(std::nullopt);
  if (!status.ok()) return R::fail(LogError::io_error, status.ToString());
  v1::CommandOutcome outcome;
  if (!outcome.ParseFromString(value)) return R::fail(LogError::corrupt, "undecodable outcome");
  return R::ok(std::optional<v1::CommandOutcome>(std::move(outcome)));
}

}  // namespace orderline::eventstore
