#include "gateway/stream_protocol.h"

#include <boost/json.hpp>

#include "gateway/json_mapping.h"

namespace orderline::gateway {
namespace json = boost::json;

namespace {

void put_topic(json::object& object, const Topic& topic) {
  switch (topic.kind) {
    case Topic::Kind::order: object["order_id"] = topic.key; break;
    case Topic::Kind::customer: object["customer_id"] = topic.key; break;
    case Topic::Kind::all: object["all"] = true; break;
  }
}

FrameError invalid(std::string detail) { return FrameError{"validation_failed", std::move(detail)}; }

}  // namespace

std::variant<ClientFrame, FrameError> parse_client_frame(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  auto value = json::parse(text, ec, {}, options);
  if (ec) return FrameError{"malformed_frame", "the frame is not JSON: " + ec.message()};
  if (!value.is_object()) return FrameError{"malformed_frame", "the frame must be a JSON object"};
  const auto& object = value.as_object();

  ClientFrame frame;
  const auto* op = object.if_contains("op");
  if (!op || !op->is_string()) return invalid("\"op\" must be \"subscribe\" or \"unsubscribe\"");
  if (op->as_string() == "subscribe") frame.op = ClientFrame::Op::subscribe;
  else if (op->as_string() == "unsubscribe") frame.op = ClientFrame::Op::unsubscribe;
  else return invalid("unknown op \"" + std::string(op->as_string().subview(0, 40)) + "\"");

  int kinds = 0;
  for (const auto& [name, kind] : {std::pair{"order_id", Topic::Kind::order}, std::pair{"customer_id", Topic::Kind::customer}}) {
    const auto* id = object.if_contains(name);
    if (!id) continue;
    ++kinds;
    if (!id->is_string() || id->as_string().empty() || id->as_string().size() > kMaxIdLength) {
      return invalid(std::string("\"") + name + "\" must be a string of 1 to 200 characters");
    }
    frame.topic = Topic{kind, std::string(id->as_string())};
  }
  if (const auto* all = object.if_contains("all")) {
    ++kinds;
    if (!all->is_bool() || !all->as_bool()) return invalid("\"all\" must be true");
    frame.topic = Topic{Topic::Kind::all, ""};
  }
  if (kinds == 0) return FrameError{"unknown_subscription", "name one of \"order_id\", \"customer_id\" or \"all\""};
  if (kinds > 1) return invalid("name only one of \"order_id\", \"customer_id\" and \"all\"");

  if (const auto* from = object.if_contains("from")) {
    if (frame.op != ClientFrame::Op::subscribe) return invalid("\"from\" belongs to subscribe");
    std::optional<eventstore::PositionVector> decoded;
    if (from->is_string()) decoded = eventstore::decode_position(from->as_string());
    if (!decoded) return invalid("\"from\" is not a position token");
    frame.from = std::move(decoded);
  }
  if (const auto* token = object.if_contains("token")) {
    if (!token->is_string() || token->as_string().size() > 1024) return invalid("\"token\" must be a string");
    frame.token = std::string(token->as_string());
  }
  return frame;
}

std::string update_frame(const projections::OrderUpdate& update, const std::string& position) {
  json::object frame;
  frame["type"] = update.type;
  frame["order_id"] = update.order_id;
  frame["customer_id"] = update.customer_id;
  frame["status"] = update.status;
  frame["payment_status"] = update.payment_status;
  frame["fulfillment_status"] = update.fulfillment_status;
  frame["version"] = update.version;
  frame["position"] = position;
  frame["at"] = rfc3339_utc(update.at_us);
  return json::serialize(frame);
}

std::string ack_frame(std::string_view type, const Topic& topic, const std::string& position) {
  json::object frame;
  frame["type"] = type;
  put_topic(frame, topic);
  frame["position"] = position;
  return json::serialize(frame);
}

std::string error_frame(std::string_view code, std::string_view detail, const Topic* topic) {
  json::object frame;
  frame["type"] = "error";
  frame["code"] = code;
  frame["detail"] = detail;
  if (topic) put_topic(frame, *topic);
  return json::serialize(frame);
}

}  // namespace orderline::gateway
