#pragma once
// The layout of a backup of a Kafka deployment's log (`orderctl backup DIR --event-log
// kafka://...`), shared by the backup that writes it and the restore that reads it:
//
//   DIR/events.records     every committed record of <prefix>.events, partition by partition
//   DIR/outcomes.records   every committed record of <prefix>.outcomes, the same way
//   DIR/orderline-kafka-backup.json   the manifest, written last: without it, not a backup
//
// A .records file is a sequence of records, each: partition (u32), offset (u64), timestamp in
// milliseconds (i64), key length (u32), key, value length (u32), value; integers little-endian.
// Within a partition the records are in offset order. The offsets are the source topic's
// (kept for the operator and for the checks); a restore writes the records in that order but
// cannot choose their new offsets (see docs/operations.md).
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/event_log.h"

namespace orderline::cli {

inline constexpr const char* kKafkaBackupManifest = "orderline-kafka-backup.json";
inline constexpr const char* kKafkaBackupTopics[] = {"outcomes", "events"};  // the order a backup takes their ends

struct KafkaBackupManifest {
  int format = 1;
  std::string created_at;      // RFC 3339 UTC
  std::string source_prefix;   // the topics' prefix it was taken from
  std::uint32_t partitions = 0;
  struct Topic {
    std::vector<std::uint64_t> records;  // per partition: records in the backup
    std::vector<std::uint64_t> ends;     // per partition: the source's last stable offset when read
  };
  std::map<std::string, Topic> topics;  // "events", "outcomes"

  std::string to_json() const;
  // nullopt (with *error set) when the text is not such a manifest.
  static std::optional<KafkaBackupManifest> parse(const std::string& text, std::string* error);
};

// Appends records to a .records file; close() flushes and fsyncs it (throws on failure).
class RecordFileWriter {
 public:
  explicit RecordFileWriter(const std::string& path);  // throws when it cannot be created
  ~RecordFileWriter();
  RecordFileWriter(const RecordFileWriter&) = delete;
  RecordFileWriter& operator=(const RecordFileWriter&) = delete;
  void write(const eventstore::LogRecord& record);  // timestamp: record.log_time_us / 1000
  void close();

 private:
  std::string path_;
  std::FILE* file_;
};

// Reads a .records file from the start; next() is false at its end and throws on a truncated one.
class RecordFileReader {
 public:
  explicit RecordFileReader(const std::string& path);
  ~RecordFileReader();
  RecordFileReader(const RecordFileReader&) = delete;
  RecordFileReader& operator=(const RecordFileReader&) = delete;
  bool next(eventstore::LogRecord& record);

 private:
  std::string path_;
  std::FILE* file_;
};

}  // namespace orderline::cli
