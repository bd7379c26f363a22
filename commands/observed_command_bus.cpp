#include "commands/observed_command_bus.h"

#include "commands/command_labels.h"

namespace orderline::commands {

void ObservedCommandBus::submit(v1::Command command, ReplyHandler on_reply) {
  // A view of the descriptor's name: valid for the whole process, so the command itself need
  // not be kept (or copied) until the reply.
  const auto type = command_type(command);
  const auto submitted = std::chrono::steady_clock::now();
  inner_.submit(std::move(command), [this, type, submitted, on_reply = std::move(on_reply)](CommandReply reply) {
    // Refused at the door, as the embedded bus's observer is told: counted, not timed.
    const bool refused =
        reply.kind == CommandReply::Kind::overloaded || reply.kind == CommandReply::Kind::shutting_down;
    observer_.on_round_trip(type, reply,
                            refused ? std::chrono::nanoseconds::zero() : std::chrono::steady_clock::now() - submitted);
    on_reply(std::move(reply));
  });
}

}  // namespace orderline::commands
