#pragma once
// The newest committed records of each events partition, kept in memory by the Kafka event
// log of a process that is the partitions' only writer (`orderd serve` on Kafka, DESIGN
// rule 2), so its own readers -- projectors, read-your-writes waits, the saga -- follow its
// commits without a fetch or an offsets request to the broker per step.
//
// Why it is exact: a sole writer knows every offset of its partitions. A commit of records
// [first, last] is followed by its marker at last + 1, so once the commit returns, every
// record below `last + 2` is decided, and the committed ones are exactly those it added. An
// aborted transaction adds nothing: its records are never visible and the next commit's
// records start after its marker. When the writer does not know what happened (a commit
// whose outcome is unknown, an abort that failed), it calls invalidate(): that partition
// is served from the broker again until reset() with an end the broker confirmed.
//
// Each partition covers a range [start, end): every committed record in it is held, and
// records older than the memory budget are dropped from the front (start moves up), so a
// reader that falls behind reads those from the broker.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "eventstore/event_log.h"

namespace orderline::eventstore {

class CommittedTail {
 public:
  // `budget_bytes` bounds the keys and values held, split evenly between the partitions.
  CommittedTail(std::uint32_t partitions, std::size_t budget_bytes);

  // Everything below `end` is decided and none of it is held: reads start at `end`.
  void reset(std::uint32_t partition, std::uint64_t end);
  // A committed batch of one partition, offsets ascending and at or past end(); the
  // partition is then decided up to `decided_end` (one past the batch's commit marker).
  // Ignored for an invalid partition.
  void add(std::uint32_t partition, std::vector<LogRecord> records, std::uint64_t decided_end);
  // Forget the partition until the next reset().
  void invalidate(std::uint32_t partition);
  void invalidate_all();

  // The decided end, or nullopt when the partition is invalid.
  std::optional<std::uint64_t> end(std::uint32_t partition) const;
  // Up to max_records records from `from`, when [from, end) is covered; nullopt when it is
  // not (from before start, or invalid): the caller reads the broker instead.
  std::optional<std::vector<LogRecord>> read(std::uint32_t partition, std::uint64_t from,
                                             std::size_t max_records) const;

  // The ends of all partitions once one differs from `ends` or the timeout passes; nullopt
  // when a partition is invalid (the caller polls the broker instead).
  std::optional<std::vector<std::uint64_t>> wait_any(const std::vector<std::uint64_t>& ends,
                                                     std::chrono::milliseconds timeout) const;
  // The end of a partition once it passes `offset` or the timeout passes; nullopt when invalid.
  std::optional<std::uint64_t> wait_beyond(std::uint32_t partition, std::uint64_t offset,
                                           std::chrono::milliseconds timeout) const;

  std::size_t held_bytes() const;
  std::uint32_t partition_count() const { return static_cast<std::uint32_t>(partitions_.size()); }

 private:
  struct Partition {
    bool valid = false;
    std::uint64_t start = 0;  // first offset covered
    std::uint64_t end = 0;    // first offset not yet decided
    std::deque<LogRecord> records;
    std::size_t bytes = 0;
  };
  std::optional<std::vector<std::uint64_t>> ends_locked() const;

  mutable std::mutex mutex_;
  mutable std::condition_variable moved_;
  std::vector<Partition> partitions_;
  std::size_t budget_per_partition_;
};

}  // namespace orderline::eventstore
