#include "commands/kafka/transaction_report.h"

namespace orderline::commands {

TransactionReport::TransactionReport(const ProcessorObservers& observers, std::uint32_t partition,
                                     Clock::time_point first_consumed, Clock::time_point started)
    : observers_(observers), partition_(partition), first_consumed_(first_consumed), started_(started) {}

void TransactionReport::report_append(std::size_t events, bool ok) const {
  // A batch whose commands were all rejected or dropped still commits a transaction (its
  // outcomes, replies and offsets): that is an append of 0 events, as in the embedded log.
  if (observers_.appends && appended_) observers_.appends->on_append(partition_, events, append_elapsed_, ok);
}

void TransactionReport::committed(const std::vector<v1::Command>& commands, const std::vector<CommandReply>& replies,
                                  std::size_t events, Clock::time_point now) const {
  report_append(events, true);
  if (!observers_.commands) return;
  observers_.commands->on_batch(partition_, commands.size(), events, now - started_);
  const auto latency = now - first_consumed_;
  for (std::size_t i = 0; i < commands.size() && i < replies.size(); ++i) {
    observers_.commands->on_reply(commands[i], replies[i], latency);
  }
}

void TransactionReport::aborted(std::size_t commands, Clock::time_point now) const {
  report_append(0, false);
  if (observers_.commands) observers_.commands->on_batch(partition_, commands, 0, now - started_);
}

}  // namespace orderline::commands
