#pragma once
// The frames of /api/v1/stream (docs/streaming.md). Client frames are JSON text:
//   {"op": "subscribe", "order_id": ID [, "from": POSITION]}
//   {"op": "subscribe", "customer_id": ID [, "from": POSITION]}
//   {"op": "subscribe", "all": true [, "from": POSITION] [, "token": STAFF_TOKEN]}
//   {"op": "unsubscribe", "order_id" | "customer_id" | "all": ...}
// Server frames: {"type": EVENT_TYPE, "order_id", "customer_id", "status", "payment_status",
// "fulfillment_status", "version", "position", "at"} per order change; {"type": "subscribed" |
// "unsubscribed", topic, "position"}; {"type": "error", "code", "detail"[, topic]}.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "eventstore/position.h"
#include "gateway/stream_topic.h"
#include "projections/order_feed.h"

namespace orderline::gateway {

struct ClientFrame {
  enum class Op { subscribe, unsubscribe };
  Op op = Op::subscribe;
  Topic topic;
  std::optional<eventstore::PositionVector> from;  // resume: replay what came after it
  std::optional<std::string> token;                // staff token for "all"
};

struct FrameError {
  std::string code;  // malformed_frame, validation_failed, unknown_subscription
  std::string detail;
};

// A client frame, or why it is refused. Never throws, whatever the bytes.
std::variant<ClientFrame, FrameError> parse_client_frame(std::string_view text);

std::string update_frame(const projections::OrderUpdate& update, const std::string& position);
// {"type": type, "order_id" | "customer_id" | "all": ..., "position": position}
std::string ack_frame(std::string_view type, const Topic& topic, const std::string& position);
// {"type": "error", "code", "detail"[, topic]}
std::string error_frame(std::string_view code, std::string_view detail, const Topic* topic = nullptr);

// Limits of a client frame's fields.
inline constexpr std::size_t kMaxIdLength = 200;

}  // namespace orderline::gateway
