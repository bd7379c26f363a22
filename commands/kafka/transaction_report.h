#pragma once
// What one transaction of `orderd processor` tells the metrics, so a distributed deployment
// exports the same command and append series as `orderd serve` (orderline_commands_total,
// orderline_command_duration_seconds, orderline_command_batch_*, orderline_events_appended_total,
// orderline_event_log_append_*) and the dashboards and alert rules work unchanged. Kept out of
// kafka_processor.cpp, which only marks the moments:
//
//   TransactionReport report(options_.observers, partition, batch.front().polled);
//   auto appended = report.time_append([&] { return log_.append_with(...); });
//   appended ? report.committed(commands, decision.replies, decision.batch.records.size())
//            : report.aborted(commands.size());
//
// (One transaction for the batches of several partitions: one report per partition, each
// told the transaction's time with set_append_time.)
//
// Meaning in this mode (docs/operations.md):
//  - a command's latency runs from its batch's first command being consumed to the commit
//    (batch wait + decide + the transaction). The time a command spent in the commands topic is
//    not in it: that is the consumer lag, and the gateway's round trip
//    (orderline_gateway_command_duration_seconds) covers it end to end;
//  - the append is the whole transaction (produce, delivery reports, offsets, commit);
//  - an aborted transaction replies to nobody (its commands are consumed again and decided
//    afresh), so it counts a batch with 0 events and a failed append, and no command result.
#include <chrono>
#include <cstdint>
#include <vector>

#include "commands/command_observer.h"
#include "eventstore/append_observer.h"

namespace orderline::commands {

// Where the processor reports; either may be null (metrics off).
struct ProcessorObservers {
  CommandObserver* commands = nullptr;
  eventstore::AppendObserver* appends = nullptr;
};

class TransactionReport {
 public:
  using Clock = std::chrono::steady_clock;

  // `first_consumed`: when the batch's first command was taken from the consumer.
  TransactionReport(const ProcessorObservers& observers, std::uint32_t partition, Clock::time_point first_consumed,
                    Clock::time_point started = Clock::now());

  // Runs `append` (the transaction) and remembers how long it took; returns what it returned.
  template <typename Append>
  auto time_append(Append&& append) {
    const auto before = Clock::now();
    auto result = append();
    set_append_time(Clock::now() - before);
    return result;
  }
  // Or: the transaction that carried this batch (with other partitions' batches) took `elapsed`.
  void set_append_time(Clock::duration elapsed) {
    append_elapsed_ = elapsed;
    appended_ = true;
  }

  // The transaction committed: one reply per command (replies[i] answers commands[i]).
  void committed(const std::vector<v1::Command>& commands, const std::vector<CommandReply>& replies,
                 std::size_t events, Clock::time_point now = Clock::now()) const;
  // It aborted (or was never tried): its `commands` will be consumed again.
  void aborted(std::size_t commands, Clock::time_point now = Clock::now()) const;

 private:
  void report_append(std::size_t events, bool ok) const;

  ProcessorObservers observers_;
  std::uint32_t partition_;
  Clock::time_point first_consumed_;
  Clock::time_point started_;
  bool appended_ = false;
  Clock::duration append_elapsed_{};
};

}  // namespace orderline::commands
