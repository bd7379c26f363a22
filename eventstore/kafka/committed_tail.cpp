#include "eventstore/kafka/committed_tail.h"

#include <algorithm>

namespace orderline::eventstore {

namespace {
std::size_t held(const LogRecord& record) { return record.key.size() + record.value.size() + sizeof(LogRecord); }
}  // namespace

CommittedTail::CommittedTail(std::uint32_t partitions, std::size_t budget_bytes)
    : partitions_(partitions), budget_per_partition_(budget_bytes / std::max<std::uint32_t>(partitions, 1)) {}

void CommittedTail::reset(std::uint32_t partition, std::uint64_t end) {
  {
    std::lock_guard lock(mutex_);
    auto& p = partitions_.at(partition);
    p.valid = true;
    p.start = p.end = end;
    p.records.clear();
    p.bytes = 0;
  }
  moved_.notify_all();
}

void CommittedTail::add(std::uint32_t partition, std::vector<LogRecord> records, std::uint64_t decided_end) {
  {
    std::lock_guard lock(mutex_);
    auto& p = partitions_.at(partition);
    if (!p.valid) return;
    for (auto& record : records) {
      if (record.offset < p.end) continue;  // never re-add what is decided
      p.bytes += held(record);
      p.records.push_back(std::move(record));
    }
    p.end = std::max(p.end, decided_end);
    while (p.bytes > budget_per_partition_ && !p.records.empty()) {
      p.bytes -= held(p.records.front());
      p.start = p.records.front().offset + 1;
      p.records.pop_front();
    }
  }
  moved_.notify_all();
}

void CommittedTail::invalidate(std::uint32_t partition) {
  std::lock_guard lock(mutex_);
  auto& p = partitions_.at(partition);
  p.valid = false;
  p.records.clear();
  p.bytes = 0;
}

void CommittedTail::invalidate_all() {
  for (std::uint32_t p = 0; p < partitions_.size(); ++p) invalidate(p);
}

std::optional<std::uint64_t> CommittedTail::end(std::uint32_t partition) const {
  std::lock_guard lock(mutex_);
  const auto& p = partitions_.at(partition);
  if (!p.valid) return std::nullopt;
  return p.end;
}

std::optional<std::vector<LogRecord>> CommittedTail::read(std::uint32_t partition, std::uint64_t from,
                                                          std::size_t max_records) const {
  std::lock_guard lock(mutex_);
  const auto& p = partitions_.at(partition);
  if (!p.valid || from < p.start) return std::nullopt;
  std::vector<LogRecord> out;
  auto it = std::lower_bound(p.records.begin(), p.records.end(), from,
                             [](const LogRecord& record, std::uint64_t offset) { return record.offset < offset; });
  for (; it != p.records.end() && out.size() < max_records; ++it) out.push_back(*it);
  return out;
}

std::optional<std::vector<std::uint64_t>> CommittedTail::ends_locked() const {
  std::vector<std::uint64_t> ends;
  ends.reserve(partitions_.size());
  for (const auto& p : partitions_) {
    if (!p.valid) return std::nullopt;
    ends.push_back(p.end);
  }
  return ends;
}

std::optional<std::vector<std::uint64_t>> CommittedTail::wait_any(const std::vector<std::uint64_t>& ends,
                                                                  std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  std::optional<std::vector<std::uint64_t>> current;
  moved_.wait_for(lock, timeout, [&] {
    current = ends_locked();
    return !current || *current != ends;
  });
  return current;
}

std::optional<std::uint64_t> CommittedTail::wait_beyond(std::uint32_t partition, std::uint64_t offset,
                                                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  const auto& p = partitions_.at(partition);
  moved_.wait_for(lock, timeout, [&] { return !p.valid || p.end > offset; });
  if (!p.valid) return std::nullopt;
  return p.end;
}

std::size_t CommittedTail::held_bytes() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& p : partitions_) total += p.bytes;
  return total;
}

}  // namespace orderline::eventstore
