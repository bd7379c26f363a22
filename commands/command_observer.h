#pragma once
// What the embedded command bus tells an observer (metrics), so the commands layer knows
// nothing of Prometheus: the observability library implements this and owns the metric
// families. Called on the bus's threads, so implementations must be thread-safe and cheap
// (a counter or histogram update; never I/O).
#include <chrono>
#include <cstdint>

#include "commands/command_bus.h"

namespace orderline::commands {

class CommandObserver {
 public:
  virtual ~CommandObserver() = default;

  // One group commit of a partition: `commands` decided together, `events` appended by it
  // (0 when nothing was accepted or the append failed), in `elapsed` (decide + synced append).
  virtual void on_batch(std::uint32_t partition, std::size_t commands, std::uint64_t events,
                        std::chrono::nanoseconds elapsed) = 0;

  // The reply to every submitted command. latency runs from submit() to the reply (queue
  // wait + decide + synced append); zero for commands refused at submit (overloaded,
  // shutting_down), which never queued.
  virtual void on_reply(const v1::Command& command, const CommandReply& reply,
                        std::chrono::nanoseconds latency) = 0;
};

}  // namespace orderline::commands
