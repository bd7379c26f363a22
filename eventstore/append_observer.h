#pragma once
// Told of every durable write of an event log (metrics: the latency of the synced write is
// the floor under every command's latency). The eventstore knows nothing of Prometheus; the
// observability library implements this. Called on the appending thread: must be cheap and
// thread-safe (partitions append in parallel).
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace orderline::eventstore {

class AppendObserver {
 public:
  virtual ~AppendObserver() = default;
  // One append of `records` events to `partition`: the time of the write itself (RocksDB
  // WriteBatch with sync, or a Kafka transaction), and whether it succeeded.
  virtual void on_append(std::uint32_t partition, std::size_t records, std::chrono::nanoseconds elapsed,
                         bool ok) = 0;
};

}  // namespace orderline::eventstore
