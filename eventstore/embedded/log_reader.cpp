#include "eventstore/embedded/log_reader.h"

#include <rocksdb/db.h>

#include <stdexcept>

#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/key_codec.h"

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
  const std::string upper = event_key(partition + 1, 0);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[1]));
  std::uint64_t next = from;
  for (it->Seek(event_key(partition, from)); it->Valid(); it->Next()) {
    LogRecord record;
    record.partition = partition;
    record.offset = codec::get_u64(it->key().ToStringView().substr(4, 8));
    if (!decode_event_value(it->value().ToStringView(), record)) {
      throw std::runtime_error("undecodable record at " + std::to_string(partition) + "/" +
                               std::to_string(record.offset));
    }
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

}  // namespace orderline::eventstore
