#pragma once
// A CommandBus that times every command from submit() to its reply and tells an observer, in
// front of a bus that reports nothing itself: the gateway's KafkaCommandBus, whose commands are
// decided in another process. This is the latency a client of `orderd gateway` waits for
// (produce, the commands topic, the processor's transaction, the reply), and the only place
// that sees the answers the processors never give (timed_out at the deadline, overloaded when
// too many are pending, failed when the send itself fails).
//
//   commands::ObservedCommandBus observed(kafka_bus, *metrics.gateway_commands());
//   services.bus = &observed;
#include <chrono>
#include <string_view>

#include "commands/command_bus.h"

namespace orderline::commands {

class RoundTripObserver {
 public:
  virtual ~RoundTripObserver() = default;
  // `type` is the command's body name (command_labels.h); `latency` runs from submit() to the
  // reply, zero for commands refused without being sent (overloaded, shutting_down). Called
  // on the thread that answers: must be cheap and thread-safe.
  virtual void on_round_trip(std::string_view type, const CommandReply& reply, std::chrono::nanoseconds latency) = 0;
};

class ObservedCommandBus final : public CommandBus {
 public:
  // Both must outlive this bus.
  ObservedCommandBus(CommandBus& inner, RoundTripObserver& observer) : inner_(inner), observer_(observer) {}

  void submit(v1::Command command, ReplyHandler on_reply) override;
  std::uint32_t partition_count() const override { return inner_.partition_count(); }

 private:
  CommandBus& inner_;
  RoundTripObserver& observer_;
};

}  // namespace orderline::commands
