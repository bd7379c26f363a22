#pragma once
// The fan-out of live order updates to WebSocket connections. It is fed once, by the
// projector (projections::OrderFeed), after each batch is visible in the read models: there
// is one reader of the log however many connections are open. Subscriptions are indexed by
// order id and customer id, so a batch costs a hash lookup per update, not a scan of the
// connections.
//
// Resume without a gap or a duplicate: subscribe() registers the topic and returns, under
// the same lock that on_batch() holds while fanning out, the position published so far.
// Every update below that position is in the read models and the log (the connection
// replays what it missed from them); every update at or after it is delivered live.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "eventstore/position.h"
#include "gateway/stream_topic.h"
#include "projections/order_feed.h"

namespace orderline::gateway {

class StreamHub final : public projections::OrderFeed {
 public:
  StreamHub() = default;

  void on_start(const eventstore::PositionVector& folded) override;
  void on_batch(std::uint32_t partition, std::uint64_t next_offset,
                std::vector<projections::OrderUpdate> updates) override;

  std::uint64_t new_subscriber_id();
  // Adds a topic for the subscriber; returns the position published before it took effect.
  eventstore::PositionVector subscribe(std::uint64_t id, std::weak_ptr<StreamSubscriber> subscriber,
                                       const Topic& topic);
  void unsubscribe(std::uint64_t id, const Topic& topic);
  // Drops every topic of a subscriber (its connection closed).
  void remove(std::uint64_t id);

  eventstore::PositionVector published() const;
  std::size_t subscriptions() const;

 private:
  struct Subscriber {
    std::weak_ptr<StreamSubscriber> target;
    std::vector<Topic> topics;
  };
  void unindex(std::uint64_t id, const Topic& topic);  // under mutex_

  mutable std::mutex mutex_;
  eventstore::PositionVector published_;
  std::unordered_map<std::uint64_t, Subscriber> subscribers_;
  std::unordered_map<std::string, std::vector<std::uint64_t>> by_order_;
  std::unordered_map<std::string, std::vector<std::uint64_t>> by_customer_;
  std::vector<std::uint64_t> all_;
  std::uint64_t next_id_ = 1;
};

}  // namespace orderline::gateway
