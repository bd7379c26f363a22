#include "observability/command_reply_metrics.h"

#include <string>

#include "commands/command_labels.h"
#include "observability/buckets.h"

namespace orderline::observability {

CommandReplyMetrics::CommandReplyMetrics(prometheus::Registry& registry, const CommandReplyNames& names)
    : replies_(prometheus::BuildCounter().Name(names.total).Help(names.total_help).Register(registry)),
      duration_(prometheus::BuildHistogram().Name(names.duration).Help(names.duration_help).Register(registry)) {}

void CommandReplyMetrics::record(std::string_view type, const commands::CommandReply& reply,
                                 std::chrono::nanoseconds latency) {
  const auto result = commands::reply_result(reply);
  const std::string_view code = result == "rejected" ? std::string_view(reply.outcome.error_code()) : "";
  const auto& series = series_.get({type, result, code}, [&] {
    const std::string type_label(type);
    // Family::Add returns the histogram already made for another result of the same type.
    return CountedAndTimed{
        &replies_.Add({{"type", type_label}, {"result", std::string(result)}, {"code", std::string(code)}}),
        &duration_.Add({{"type", type_label}}, latency_buckets())};
  });
  series.count->Increment();
  // Refused at submit: never queued, so no latency to speak of.
  if (latency <= std::chrono::nanoseconds::zero()) return;
  series.duration->Observe(std::chrono::duration<double>(latency).count());
}

GatewayCommandMetrics::GatewayCommandMetrics(prometheus::Registry& registry)
    : replies_(registry, {"orderline_gateway_commands_total",
                          "Commands answered by this gateway, by command type, result (accepted, rejected, "
                          "overloaded, timed_out, shutting_down, failed) and rejection code",
                          "orderline_gateway_command_duration_seconds",
                          "Time from a command being sent by the gateway to its reply: produce, the commands "
                          "topic, the processor's transaction and the replies topic"}) {}

void GatewayCommandMetrics::on_round_trip(std::string_view type, const commands::CommandReply& reply,
                                          std::chrono::nanoseconds latency) {
  replies_.record(type, reply, latency);
}

}  // namespace orderline::observability
