#pragma once
// Read-only access to an embedded log that a running orderd may own: opened as a RocksDB
// secondary instance (never a second writer), which can catch up with the primary.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/event_log.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace orderline::eventstore {

class EmbeddedLogReader {
 public:
  // data_path: the log directory; scratch_path: where the secondary keeps its own info log.
  EmbeddedLogReader(const std::string& data_path, const std::string& scratch_path);  // throws
  ~EmbeddedLogReader();

  std::uint32_t partition_count() const { return partitions_; }
  // Sees what the primary has written since open or the last call.
  void catch_up();
  // Calls visit for each record of the partition from `from`; returns the next offset.
  std::uint64_t scan(std::uint32_t partition, std::uint64_t from,
                     const std::function<void(const LogRecord&)>& visit) const;
  // Calls visit for every recorded command outcome (in command-id order).
  void scan_outcomes(const std::function<void(const v1::CommandOutcome&)>& visit) const;

 private:
  std::uint32_t partitions_ = 0;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace orderline::eventstore
