#pragma once
// Routes commands to the owner of their stream's partition. Embedded: an in-process bounded
// queue per partition; Kafka: the commands topic with replies on the gateway's partition.
#include <cstdint>
#include <functional>

#include "orderline/v1/commands.pb.h"

namespace orderline::commands {

struct CommandReply {
  enum class Kind {
    done,           // outcome holds the accepted or rejected result
    overloaded,     // the partition's queue is full: answer 429 with Retry-After
    timed_out,      // deadline passed before an outcome was known: 504 outcome_unknown
    shutting_down,  // the engine is stopping: 503
    failed,         // the log refused the write (I/O error): 503, nothing was acknowledged
  };
  Kind kind = Kind::done;
  v1::CommandOutcome outcome;
};

// Called exactly once per submitted command, on an arbitrary thread.
using ReplyHandler = std::function<void(CommandReply)>;

class CommandBus {
 public:
  virtual ~CommandBus() = default;
  // Never blocks. The command must carry command_id and stream_id.
  virtual void submit(v1::Command command, ReplyHandler on_reply) = 0;
  virtual std::uint32_t partition_count() const = 0;
};

}  // namespace orderline::commands
