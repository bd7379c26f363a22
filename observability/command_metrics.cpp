#include "observability/command_metrics.h"

#include <string>

#include "commands/command_labels.h"
#include "observability/buckets.h"

namespace orderline::observability {

CommandMetrics::CommandMetrics(prometheus::Registry& registry)
    : replies_(registry, {"orderline_commands_total",
                          "Command replies by command type, result (accepted, rejected, overloaded, timed_out, "
                          "shutting_down, failed) and rejection code",
                          "orderline_command_duration_seconds",
                          "Time from a command being queued to its reply: queue wait, decide and the synced append"}),
      events_(prometheus::BuildCounter()
                  .Name("orderline_events_appended_total")
                  .Help("Events appended to the event log, by partition")
                  .Register(registry)),
      batch_size_(prometheus::BuildHistogram()
                      .Name("orderline_command_batch_size")
                      .Help("Commands decided and committed together in one synced append (group commit)")
                      .Register(registry)
                      .Add({}, batch_size_buckets())),
      batch_duration_(prometheus::BuildHistogram()
                          .Name("orderline_command_batch_duration_seconds")
                          .Help("Time to decide a batch of commands and append it with one synced write")
                          .Register(registry)
                          .Add({}, latency_buckets())) {}

void CommandMetrics::on_batch(std::uint32_t partition, std::size_t commands, std::uint64_t events,
                              std::chrono::nanoseconds elapsed) {
  batch_size_.Observe(static_cast<double>(commands));
  batch_duration_.Observe(std::chrono::duration<double>(elapsed).count());
  if (events == 0) return;
  const auto label = std::to_string(partition);
  auto* counter =
      event_series_.get({label}, [&] { return &events_.Add({{"partition", label}}); });
  counter->Increment(static_cast<double>(events));
}

void CommandMetrics::on_reply(const v1::Command& command, const commands::CommandReply& reply,
                              std::chrono::nanoseconds latency) {
  replies_.record(commands::command_type(command), reply, latency);
}

}  // namespace orderline::observability
