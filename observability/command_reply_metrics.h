#pragma once
// Replies to commands by type, result and rejection code, and their latency by type: the part
// of the command metrics that both ends of a command can see. Two instances exist:
//   orderline_commands_total / orderline_command_duration_seconds          (CommandMetrics: the
//       bus that decides, `orderd serve` and `orderd processor`)
//   orderline_gateway_commands_total / orderline_gateway_command_duration_seconds  (`orderd
//       gateway`: the round trip through Kafka, GatewayCommandMetrics)
// They have different names so that a dashboard summing over every instance of a distributed
// deployment counts each command once.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <string_view>

#include "commands/command_bus.h"
#include "commands/observed_command_bus.h"
#include "observability/counted_and_timed.h"
#include "observability/series_cache.h"

namespace orderline::observability {

struct CommandReplyNames {
  const char* total;  // counter {type,result,code}
  const char* total_help;
  const char* duration;  // histogram {type}
  const char* duration_help;
};

class CommandReplyMetrics {
 public:
  CommandReplyMetrics(prometheus::Registry& registry, const CommandReplyNames& names);

  // result is accepted, rejected, overloaded, timed_out, shutting_down or failed; code the
  // rejection's slug, "" otherwise. latency <= 0: counted, not timed (refused before queueing).
  void record(std::string_view type, const commands::CommandReply& reply, std::chrono::nanoseconds latency);

 private:
  prometheus::Family<prometheus::Counter>& replies_;
  prometheus::Family<prometheus::Histogram>& duration_;
  // One lookup per reply: (type, result, code) -> the counter and the type's histogram.
  SeriesCache<3, CountedAndTimed> series_;
};

// `orderd gateway`'s view of its commands, fed by commands::ObservedCommandBus:
//   orderline_gateway_commands_total{type,result,code}     counter: every reply the gateway gave
//   orderline_gateway_command_duration_seconds{type}       histogram: submit -> reply (produce,
//       commands topic, the processor's transaction, the reply topic)
class GatewayCommandMetrics final : public commands::RoundTripObserver {
 public:
  explicit GatewayCommandMetrics(prometheus::Registry& registry);
  void on_round_trip(std::string_view type, const commands::CommandReply& reply,
                     std::chrono::nanoseconds latency) override;

 private:
  CommandReplyMetrics replies_;
};

}  // namespace orderline::observability
