#pragma once
// Read-only access to an embedded log that a running orderd may own: opened as a RocksDB
// secondary instance (never a second writer), which can catch up with the primary.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/event_log.h"
#include "eventstore/history_reader.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
}  // namespace rocksdb

namespace orderline::eventstore {

class EmbeddedLogReader final : public HistoryReader {
 public:
  // data_path: the log directory; scratch_path: where the secondary keeps its own info log.
  EmbeddedLogReader(const std::string& data_path, const std::string& scratch_path);  // throws
  ~EmbeddedLogReader() override;

  std::uint32_t partition_count() const override { return partitions_; }
  // Sees what the primary has written since open or the last call.
  void catch_up();
  // Calls visit for each record of the partition from `from`; returns the next offset.
  std::uint64_t scan(std::uint32_t partition, std::uint64_t from,
                     const std::function<void(const LogRecord&)>& visit) const;
  // Calls visit for every recorded command outcome (in command-id order).
  void scan_outcomes(const std::function<void(const v1::CommandOutcome&)>& visit) const;

  // Next offset to be written in a partition, as far as this reader has caught up.
  std::uint64_t end_offset(std::uint32_t partition) const override;
  // First offset whose log time is >= time_us (end_offset if none). Throws on read errors.
  std::uint64_t offset_for_time(std::uint32_t partition, std::int64_t time_us) const override;

  // The records of one partition in [from, to), one at a time: memory stays constant however
  // long the range (exports stream whole logs through this).
  //   auto cursor = reader.open(p, 0, reader.end_offset(p));
  //   LogRecord record;
  //   while (cursor.next(record)) ...
  class Cursor final : public RecordCursor {
   public:
    Cursor(Cursor&&) noexcept;
    ~Cursor() override;
    // Fills `record` with the next one (reusing its buffers); false at the end. Throws on an
    // undecodable record or a read error.
    bool next(LogRecord& record) override;

   private:
    friend class EmbeddedLogReader;
    struct Bound;  // the iterator's upper bound (a key and the slice RocksDB points at)
    Cursor(std::unique_ptr<Bound> bound, std::unique_ptr<rocksdb::Iterator> it, std::uint32_t partition);
    std::unique_ptr<Bound> bound_;  // declared first: destroyed after the iterator
    std::unique_ptr<rocksdb::Iterator> it_;
    std::uint32_t partition_;
    bool started_ = false;
  };
  Cursor open(std::uint32_t partition, std::uint64_t from, std::uint64_t to) const;
  // HistoryReader: open() for each range.
  std::vector<std::unique_ptr<RecordCursor>> open_ranges(const std::vector<HistoryRange>& ranges) const override;

 private:
  std::uint32_t partitions_ = 0;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace orderline::eventstore
