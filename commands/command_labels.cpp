#include "commands/command_labels.h"

namespace orderline::commands {

std::string_view command_type(const v1::Command& command) {
  static const auto* body = v1::Command::descriptor()->FindOneofByName("body");
  const auto* field = command.GetReflection()->GetOneofFieldDescriptor(command, body);
  return field ? std::string_view(field->name()) : std::string_view("none");
}

std::string_view reply_result(const CommandReply& reply) {
  switch (reply.kind) {
    case CommandReply::Kind::done: return reply.outcome.accepted() ? "accepted" : "rejected";
    case CommandReply::Kind::overloaded: return "overloaded";
    case CommandReply::Kind::timed_out: return "timed_out";
    case CommandReply::Kind::shutting_down: return "shutting_down";
    case CommandReply::Kind::failed: return "failed";
  }
  return "unknown";
}

}  // namespace orderline::commands
