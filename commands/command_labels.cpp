#include "commands/command_labels.h"

#include <vector>

namespace orderline::commands {

std::string_view command_type(const v1::Command& command) {
  // Called per command by the metrics: the generated oneof case (the field's number) indexes
  // the names read once from the descriptor, instead of a reflection call each time.
  static const auto names = [] {
    const auto* body = v1::Command::descriptor()->FindOneofByName("body");
    std::vector<std::string_view> by_number;
    for (int i = 0; i < body->field_count(); ++i) {
      const auto* field = body->field(i);
      const auto number = static_cast<std::size_t>(field->number());
      if (by_number.size() <= number) by_number.resize(number + 1);
      by_number[number] = field->name();
    }
    return by_number;
  }();
  const auto number = static_cast<std::size_t>(command.body_case());
  return number < names.size() && !names[number].empty() ? names[number] : std::string_view("none");
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
