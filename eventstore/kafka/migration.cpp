#include "eventstore/kafka/migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

namespace orderline::eventstore {
namespace {

// FNV-1a, 64 bit: cheap, order-sensitive, enough to tell two copies of a log apart.
struct Checksum {
  std::uint64_t value = 14695981039346656037ull;
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      value ^= c;
      value *= 1099511628211ull;
    }
  }
  void add_record(const std::string& key, const std::string& value_bytes) {
    add(fmt::format("{}:", key.size()));
    add(key);
    add(fmt::format("{}:", value_bytes.size()));
    add(value_bytes);
  }
};

// Reads every committed record of a Kafka partition, in order.
LogResult<bool> scan_kafka(const KafkaEventLog& log, std::uint32_t partition,
                           const std::function<void(const LogRecord&)>& visit) {
  const std::uint64_t end = log.end_offset(partition);
  std::uint64_t from = 0;
  while (from < end) {
    auto records = log.read(partition, from, 5000);
    if (!records) return LogResult<bool>::fail(records.error, records.detail);
    if (records.value->empty()) break;
    for (const auto& record : *records.value) visit(record);
    from = records.value->back().offset + 1;
  }
  return LogResult<bool>::ok(true);
}

}  // namespace

bool MigrationReport::complete() const {
  if (!error.empty()) return false;
  for (const auto& p : partitions) {
    if (!p.complete()) return false;
  }
  return true;
}

MigrationReport migrate(const EmbeddedLogReader& from, KafkaEventLog& to, const MigrationOptions& options) {
  MigrationReport report;
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  if (from.partition_count() != to.partition_count()) {
    report.error = fmt::format("the embedded log has {} partitions but the Kafka topics have {}; they must be equal",
                               from.partition_count(), to.partition_count());
    return report;
  }
  // Outcomes per partition, by the embedded position stored with them.
  std::vector<std::multimap<std::uint64_t, v1::CommandOutcome>> outcomes(from.partition_count());
  from.scan_outcomes([&](const v1::CommandOutcome& outcome) {
    if (outcome.partition() < outcomes.size()) outcomes[outcome.partition()].emplace(outcome.offset(), outcome);
  });

  for (std::uint32_t p = 0; p < from.partition_count(); ++p) {
    PartitionMigration part;
    part.partition = p;
    part.outcomes = outcomes[p].size();

    // What Kafka holds already must be the embedded log's beginning.
    Checksum kafka_prefix;
    std::uint64_t already = 0;
    if (auto scanned = scan_kafka(to, p, [&](const LogRecord& r) {
          kafka_prefix.add_record(r.key, r.value);
          ++already;
        });
        !scanned) {
      report.error = fmt::format("partition {}: cannot read Kafka: {}", p, scanned.detail);
      return report;
    }
    Checksum embedded_prefix;
    std::uint64_t seen = 0;
    from.scan(p, 0, [&](const LogRecord& r) {
      if (seen++ < already) embedded_prefix.add_record(r.key, r.value);
    });
    part.embedded_records = seen;
    if (already > seen || embedded_prefix.value != kafka_prefix.value) {
      report.error = fmt::format(
          "partition {}: Kafka holds {} records that are not the first {} of the embedded log; refusing to mix "
          "histories (use an empty topic prefix)",
          p, already, already);
      report.partitions.push_back(part);
      return report;
    }
    if (already > 0) say(fmt::format("partition {}: {} of {} records already in Kafka; resuming", p, already, seen));

    // Move the rest in chunks; embedded offsets are contiguous from 0, so the k-th record has offset k.
    const std::uint64_t stop = options.limit == 0 ? seen : std::min(seen, already + options.limit);
    AppendBatch batch;
    std::uint64_t first = already;
    std::uint64_t written_end = 0;  // where a reader has seen all this run appended (commit marker)
    auto flush = [&](std::uint64_t next) -> bool {
      // The outcomes whose position lies in (first, next], or at 0 for commands decided on an
      // empty partition; those at an embedded position past every record (rejections decided at
      // the end) travel with the last chunk.
      const bool last = next >= seen;
      auto lo = outcomes[p].upper_bound(first);
      if (first == 0) lo = outcomes[p].lower_bound(0);
      auto hi = last ? outcomes[p].end() : outcomes[p].upper_bound(next);
      for (auto it = lo; it != hi; ++it) batch.outcomes.push_back(it->second);
      if (batch.records.empty() && batch.outcomes.empty()) return true;
      batch.predicted_first_offset = first;
      auto appended = to.append(p, batch);
      if (!appended) {
        report.error = fmt::format("partition {}: appending records {}..{} failed (nothing of them was written): {}",
                                   p, first, next, appended.detail);
        return false;
      }
      part.moved += batch.records.size();
      written_end = std::max(written_end, appended.value->end_offset);
      batch = AppendBatch{};
      first = next;
      return true;
    };
    std::uint64_t index = 0;
    bool ok = true;
    from.scan(p, already, [&](const LogRecord& r) {
      if (!ok || index + already >= stop) return;
      v1::EventEnvelope envelope;
      envelope.ParseFromString(r.value);
      batch.records.push_back({r.key, r.value, envelope.stream_version()});
      ++index;
      if (batch.records.size() >= options.chunk) ok = flush(already + index);
    });
    if (ok && (already + index == stop) && (!batch.records.empty() || (stop == seen && already < seen) ||
                                             (seen == 0 && already == 0))) {
      ok = flush(already + index);
    }
    if (!ok) {
      report.partitions.push_back(part);
      return report;
    }
    if (part.moved > 0) say(fmt::format("partition {}: moved {} records", p, part.moved));

    // Verify this partition: counts and checksums of both sides, every outcome findable. First
    // wait (bounded) until our last commit is visible to read_committed readers: the partition's
    // last stable offset can trail the commit that just returned, and reading before it would
    // call a complete partition short.
    const auto visible_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (to.end_offset(p) < written_end && std::chrono::steady_clock::now() < visible_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Checksum embedded_all, kafka_all;
    from.scan(p, 0, [&](const LogRecord& r) { embedded_all.add_record(r.key, r.value); });
    part.embedded_checksum = embedded_all.value;
    if (auto scanned = scan_kafka(to, p, [&](const LogRecord& r) {
          kafka_all.add_record(r.key, r.value);
          ++part.kafka_records;
        });
        !scanned) {
      report.error = fmt::format("partition {}: cannot read Kafka back: {}", p, scanned.detail);
      report.partitions.push_back(part);
      return report;
    }
    part.kafka_checksum = kafka_all.value;
    if (part.kafka_records == part.embedded_records) {
      for (const auto& [offset, outcome] : outcomes[p]) {
        auto found = to.find_outcome(outcome.command_id());
        if (!found || !found.value->has_value()) ++part.outcomes_missing;
      }
    } else {
      part.outcomes_missing = part.outcomes;  // not checked until the records are all there
    }
    report.partitions.push_back(part);
  }
  return report;
}

}  // namespace orderline::eventstore
