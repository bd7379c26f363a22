#pragma once
// Resume after a reconnect: the updates of a topic between the client's `from` and the
// position the hub had published when the subscription took effect (`upto`), rebuilt from the
// log by folding each order's stream through the order_details projection, the same code
// that produced them live, so replayed and live messages are identical.
//
// Bounded: the replay of one subscription reads at most `max_events` events (a resume of
// "all" from far back, or of a customer with very many orders, is refused with
// resume_too_far; the client then reloads the state and subscribes without `from`).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/event_log.h"
#include "eventstore/position.h"
#include "gateway/stream_topic.h"
#include "projections/read_models.h"

namespace orderline::gateway {

struct Replay {
  std::vector<MessagePtr> messages;  // by partition, then offset: each order's in log order
  std::optional<std::string> error_code;  // resume_too_far, log_unavailable
  std::string detail;
};

// Positions absent from `from` count as 0 (from the beginning).
Replay replay_topic(const eventstore::EventLog& log, const projections::ReadModels& read_models, const Topic& topic,
                    const eventstore::PositionVector& from, const eventstore::PositionVector& upto,
                    std::size_t max_events);

}  // namespace orderline::gateway
