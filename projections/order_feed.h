#pragma once
// The order changes the projector has just made visible, handed to whoever pushes them to
// clients (the gateway's WebSocket hub). Generic on purpose: an update is any event after
// which order_details' view of the order names that very event as its last (view.offset), so
// a new order event or status added to order_details flows through without changes here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/position.h"
#include "projections/projection.h"

namespace orderline::projections {

struct OrderUpdate {
  std::string order_id;
  std::string customer_id;
  std::string type;  // the event type, e.g. "OrderPlaced"
  std::string status;
  std::string payment_status;
  std::string fulfillment_status;
  std::uint64_t version = 0;  // the order stream's version after the event
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;  // the event's log offset (its position entry is offset + 1)
  std::int64_t at_us = 0;    // business time of the event
  // The event's ids, so the push is logged in the request chain that caused it.
  std::string correlation_id;
  std::string causation_id;
};

// Told by the projector, on its thread, of each written batch. Must not block: the projector
// (and every read-model reader waiting on it) waits for it.
class OrderFeed {
 public:
  virtual ~OrderFeed() = default;
  // Once, before the first batch: how far the read models had folded each partition.
  virtual void on_start(const eventstore::PositionVector& folded) = 0;
  // After a batch of `partition` is committed and published: its order updates in log order,
  // and the partition's new next offset (every event below it has been folded).
  virtual void on_batch(std::uint32_t partition, std::uint64_t next_offset, std::vector<OrderUpdate> updates) = 0;
};

// The update `context`'s event made, read back from the pending batch after every projection
// has applied it; nullopt when it did not change an order view.
std::optional<OrderUpdate> order_update(const EventContext& context, BatchWriter& batch);

}  // namespace orderline::projections
