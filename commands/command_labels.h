#pragma once
// Short stable names of a command and of its reply, for log lines and metric labels
// ("place_order", "rejected"). Names come from the schema (the `body` oneof's field names), so
// a new command type is named without touching this file.
#include <string_view>

#include "commands/command_bus.h"

namespace orderline::commands {

// The set field of the command's `body` oneof ("place_order", "restock", ...); "none" if unset.
std::string_view command_type(const v1::Command& command);

// "accepted" or "rejected" for a decided command, else the reply kind: "overloaded",
// "timed_out", "shutting_down", "failed".
std::string_view reply_result(const CommandReply& reply);

}  // namespace orderline::commands
