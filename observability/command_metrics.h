#pragma once
// Command metrics, fed through commands::CommandObserver by the bus that decides: the embedded
// bus (`orderd serve`) or the Kafka processor (`orderd processor`, commands/kafka/transaction_report.h):
//   orderline_commands_total{type,result,code}         counter: every reply; result is
//       accepted, rejected, overloaded, timed_out, shutting_down or failed; code the
//       rejection's slug (version_conflict, out_of_stock, ...), "" otherwise
//   orderline_command_duration_seconds{type}           histogram: submit -> reply (queue wait +
//       decide + synced append) of commands that were queued
//   orderline_command_batch_size                       histogram: commands per group commit
//   orderline_command_batch_duration_seconds           histogram: decide + synced append per batch
//   orderline_events_appended_total{partition}         counter: events written to the log
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "commands/command_observer.h"
#include "observability/command_reply_metrics.h"
#include "observability/series_cache.h"

namespace orderline::observability {

class CommandMetrics final : public commands::CommandObserver {
 public:
  explicit CommandMetrics(prometheus::Registry& registry);

  void on_batch(std::uint32_t partition, std::size_t commands, std::uint64_t events,
                std::chrono::nanoseconds elapsed) override;
  void on_reply(const v1::Command& command, const commands::CommandReply& reply,
                std::chrono::nanoseconds latency) override;

 private:
  CommandReplyMetrics replies_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& batch_duration_;
  SeriesCache<1, prometheus::Counter*> event_series_;
};

}  // namespace orderline::observability
