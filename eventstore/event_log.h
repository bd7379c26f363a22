#pragma once
// The event log: append-only partitions of records keyed by stream id. Two implementations:
// embedded/ (RocksDB, default) and kafka/ (librdkafka). Domain, command handlers and
// projections see only this interface.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orderline/v1/commands.pb.h"
#include "orderline/v1/envelope.pb.h"

namespace orderline::eventstore {

struct LogRecord {
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
  std::int64_t log_time_us = 0;  // time the log accepted the record (LogAppendTime)
  std::string key;               // stream id
  std::string value;             // serialized v1::EventEnvelope
};

struct NewRecord {
  std::string key;                  // stream id
  std::string value;                // serialized v1::EventEnvelope
  std::uint64_t stream_version = 0;  // the envelope's stream_version, for the stream index
};

// The state of one stream's aggregate after its event `version`, kept by a log with a state
// store (the embedded log; DESIGN write-side rule 3) so a long stream need not be replayed
// from its first event. Appended in the same commit as the events it folds in.
struct StreamSnapshot {
  std::string stream_id;
  std::uint64_t version = 0;    // stream version of the last event folded in
  std::uint32_t partition = 0;  // position of that event
  std::uint64_t offset = 0;
  std::string state;  // opaque to the log: domain/snapshot_codec.h
};

// A stream as the command processor loads it: its newest snapshot, if the log keeps one,
// and the events after it, in version order.
struct StreamTail {
  std::optional<StreamSnapshot> snapshot;
  std::vector<LogRecord> records;
};

// Everything one commit writes to one partition: its events and the outcomes of the
// commands that produced (or refused to produce) them. Appended atomically.
struct AppendBatch {
  std::vector<NewRecord> records;
  std::vector<v1::CommandOutcome> outcomes;
  // The offset the writer assumed records[0] would get when it wrote the outcomes' offsets
  // (end_offset() before the batch). Outcome offsets of this partition are positions after
  // the k-th record of the batch (predicted_first_offset + k). A log whose real offsets can
  // differ from the prediction (Kafka: transaction markers take offsets, and the last stable
  // offset may lag a just-committed marker) translates each outcome's offset to the real
  // position after that record before storing it; the embedded log assigns exactly the
  // predicted offsets. Unset: outcome offsets are stored as given.
  std::optional<std::uint64_t> predicted_first_offset;
  // Snapshots of streams of this batch, as of their last event in it; written only with the
  // batch (never without its events). Ignored by a log without a state store.
  std::vector<StreamSnapshot> snapshots;
};

struct AppendResult {
  std::uint64_t first_offset = 0;  // offset of records[0]
  // The position a reader must reach to have seen every record of the batch: one past the
  // last record. (In Kafka this is the offset of the transaction's commit marker, not the
  // partition's next free offset.)
  std::uint64_t end_offset = 0;
  // The offset stored with each outcome, in batch order (after any translation above).
  std::vector<std::uint64_t> outcome_offsets;
};

// too_large: a record exceeds the log's message size limit (nothing of the batch is written).
// unavailable: the log's servers did not answer in time (the append may be retried).
enum class LogError { io_error, closed, bad_partition, corrupt, too_large, unavailable };
const char* to_string(LogError e);

template <typename T>
struct LogResult {
  std::optional<T> value;
  LogError error = LogError::io_error;
  std::string detail;
  explicit operator bool() const { return value.has_value(); }
  static LogResult ok(T v) { return LogResult{std::move(v), LogError::io_error, {}}; }
  static LogResult fail(LogError e, std::string d) { return LogResult{std::nullopt, e, std::move(d)}; }
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  virtual std::uint32_t partition_count() const = 0;

  // Durable when it returns: the records and outcomes survive a crash of the process or the
  // machine. Only the partition's owner calls this (one writer per partition).
  virtual LogResult<AppendResult> append(std::uint32_t partition, const AppendBatch& batch) = 0;

  // Up to max_records records of a partition starting at `from` (inclusive).
  virtual LogResult<std::vector<LogRecord>> read(std::uint32_t partition, std::uint64_t from,
                                                 std::size_t max_records) const = 0;

  // Next offset to be written in a partition.
  virtual std::uint64_t end_offset(std::uint32_t partition) const = 0;

  // First offset whose log time is >= time_us (end_offset if none).
  virtual LogResult<std::uint64_t> offset_for_time(std::uint32_t partition,
                                                   std::int64_t time_us) const = 0;

  // Blocks until the partition's end offset passes `offset` or the timeout runs out; returns
  // the end offset. Lets readers follow the log without polling loops.
  virtual std::uint64_t wait_beyond(std::uint32_t partition, std::uint64_t offset,
                                    std::chrono::milliseconds timeout) const = 0;

  // Blocks until some partition's end offset differs from `ends` (one entry per partition)
  // or the timeout runs out; returns the current ends. One reader can follow every
  // partition with this instead of polling.
  virtual std::vector<std::uint64_t> wait_any(const std::vector<std::uint64_t>& ends,
                                              std::chrono::milliseconds timeout) const = 0;

  // The events of one stream in version order, via a stream index (cost proportional to the
  // stream's own length).
  virtual LogResult<std::vector<LogRecord>> read_stream(std::string_view stream_id) const = 0;

  // Whether append() keeps AppendBatch::snapshots and read_stream_tail() returns them;
  // callers skip building snapshots for a log that would drop them.
  virtual bool keeps_snapshots() const { return false; }

  // The newest snapshot of a stream and the events after it. A log without snapshots
  // returns the whole stream. The snapshot is not validated here: the caller decodes it and
  // falls back to read_stream() when it cannot use it.
  virtual LogResult<StreamTail> read_stream_tail(std::string_view stream_id) const {
    auto records = read_stream(stream_id);
    if (!records) return LogResult<StreamTail>::fail(records.error, records.detail);
    return LogResult<StreamTail>::ok(StreamTail{std::nullopt, std::move(*records.value)});
  }

  // The recorded outcome of a command id, if any (DESIGN rule 4).
  virtual LogResult<std::optional<v1::CommandOutcome>> find_outcome(
      std::string_view command_id) const = 0;
};

}  // namespace orderline::eventstore
