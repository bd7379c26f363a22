#pragma once
// What a WebSocket subscription follows (/api/v1/stream): one order, one customer's orders,
// or every order (staff), and the messages the hub fans out to subscribers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "projections/order_feed.h"

namespace orderline::gateway {

struct Topic {
  enum class Kind { order, customer, all };
  Kind kind = Kind::all;
  std::string key;  // order id or customer id; empty for all

  bool operator==(const Topic&) const = default;
  bool matches(const projections::OrderUpdate& update) const {
    switch (kind) {
      case Kind::order: return update.order_id == key;
      case Kind::customer: return update.customer_id == key;
      case Kind::all: return true;
    }
    return false;
  }
};

// One update, serialized once and shared by every connection that receives it.
struct StreamMessage {
  projections::OrderUpdate update;
  std::string text;  // the JSON frame sent to clients
};
using MessagePtr = std::shared_ptr<const StreamMessage>;

// A connection as the hub sees it. deliver() is called on the projector's thread with the hub's
// lock held: it must only hand the messages over (post them to the connection's strand).
class StreamSubscriber {
 public:
  virtual ~StreamSubscriber() = default;
  virtual void deliver(std::vector<MessagePtr> messages) = 0;
};

}  // namespace orderline::gateway
