#include "eventstore/embedded/log_reader.h"

#include <rocksdb/db.h>

#include <stdexcept>

#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/key_codec.h"
#include "eventstore/offset_for_time.h"

namespace orderline::eventstore {

EmbeddedLogReader::EmbeddedLogReader(const std::string& data_path, const std::string& scratch_path) {
  rocksdb::Options options;
  options.max_open_files = -1;  // required by secondary instances
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, options}, {"events", options}, {"outcomes", options}};
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::OpenAsSecondary(options, data_path, scratch_path, families, &handles_, &raw);
  if (!status.ok()) throw std::runtime_error("cannot open event log at " + data_path + ": " + status.ToString());
  db_.reset(raw);
  std::string partitions;
  status = db_->Get(rocksdb::ReadOptions(), handles_[0], "meta/partitions", &partitions);
  if (!status.ok()) throw std::runtime_error("no event log at " + data_path);
  partitions_ = static_cast<std::uint32_t>(std::stoul(partitions));
}

EmbeddedLogReader::~EmbeddedLogReader() {
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
}

void EmbeddedLogReader::catch_up() { db_->TryCatchUpWithPrimary(); }

std::uint64_t EmbeddedLogReader::scan(std::uint32_t partition, std::uint64_t from,
                                      const std::function<void(const LogRecord&)>& visit) const {
  auto cursor = open(partition, from, UINT64_MAX);
  LogRecord record;
  std::uint64_t next = from;
  while (cursor.next(record)) {
    visit(record);
    next = record.offset + 1;
  }
  return next;
}

void EmbeddedLogReader::scan_outcomes(const std::function<void(const v1::CommandOutcome&)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[2]));
  v1::CommandOutcome outcome;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!outcome.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      throw std::runtime_error("undecodable outcome of command " + it->key().ToString());
    }
    visit(outcome);
  }
  if (!it->status().ok()) throw std::runtime_error("reading outcomes: " + it->status().ToString());
}

std::uint64_t EmbeddedLogReader::end_offset(std::uint32_t partition) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[1]));
  it->SeekForPrev(event_key(partition, UINT64_MAX));
  if (it->Valid() && it->key().size() == 12 && codec::get_u32(it->key().ToStringView().substr(0, 4)) == partition) {
    return codec::get_u64(it->key().ToStringView().substr(4, 8)) + 1;
  }
  if (!it->status().ok()) throw std::runtime_error("cannot read the event log: " + it->status().ToString());
  return 0;
}

std::uint64_t EmbeddedLogReader::offset_for_time(std::uint32_t partition, std::int64_t time_us) const {
  std::string value;
  LogRecord record;
  auto found = first_offset_at_or_after(end_offset(partition), time_us, [&](std::uint64_t offset) {
    auto status = db_->Get(rocksdb::ReadOptions(), handles_[1], event_key(partition, offset), &value);
    if (!status.ok() || !decode_event_value(value, record)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(record.log_time_us);
  });
  if (!found) {
    throw std::runtime_error("cannot read the event log of partition " + std::to_string(partition));
  }
  return *found;
}

struct EmbeddedLogReader::Cursor::Bound {
  std::string key;
  rocksdb::Slice slice;
};

EmbeddedLogReader::Cursor::Cursor(std::unique_ptr<Bound> bound, std::unique_ptr<rocksdb::Iterator> it,
                                  std::uint32_t partition)
    : bound_(std::move(bound)), it_(std::move(it)), partition_(partition) {}
EmbeddedLogReader::Cursor::Cursor(Cursor&&) noexcept = default;
EmbeddedLogReader::Cursor::~Cursor() = default;

bool EmbeddedLogReader::Cursor::next(LogRecord& record) {
  if (started_) it_->Next();
  started_ = true;
  if (!it_->Valid()) {
    if (!it_->status().ok()) throw std::runtime_error("cannot read the event log: " + it_->status().ToString());
    return false;
  }
  record.partition = partition_;
  record.offset = codec::get_u64(it_->key().ToStringView().substr(4, 8));
  if (!decode_event_value(it_->value().ToStringView(), record)) {
    throw std::runtime_error("undecodable record at " + std::to_string(partition_) + "/" +
                             std::to_string(record.offset));
  }
  return true;
}

EmbeddedLogReader::Cursor EmbeddedLogReader::open(std::uint32_t partition, std::uint64_t from,
                                                  std::uint64_t to) const {
  auto bound = std::make_unique<Cursor::Bound>();
  // An open end stops at the partition's last key (the next partition's first key is above it).
  bound->key = to == UINT64_MAX ? event_key(partition + 1, 0) : event_key(partition, to);
  bound->slice = rocksdb::Slice(bound->key);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &bound->slice;
  // An export reads every block once: keep them out of the block cache.
  read_options.fill_cache = false;
  read_options.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[1]));
  it->Seek(event_key(partition, from));
  return Cursor(std::move(bound), std::move(it), partition);
}

std::vector<std::unique_ptr<RecordCursor>> EmbeddedLogReader::open_ranges(
    const std::vector<HistoryRange>& ranges) const {
  std::vector<std::unique_ptr<RecordCursor>> cursors;
  cursors.reserve(ranges.size());
  for (const auto& range : ranges) cursors.push_back(std::make_unique<Cursor>(open(range.partition, range.from, range.to)));
  return cursors;
}

}  // namespace orderline::eventstore
