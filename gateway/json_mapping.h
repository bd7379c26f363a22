#pragma once
// JSON of the v1 API: views and events out, command bodies in. Only shapes and types are
// checked here; business rules (quantity range, known currency, ...) belong to the domain
// and come back as rejections.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/problem.h"
#include "orderline/v1/commands.pb.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/views.pb.h"

namespace google::protobuf {
class Message;
}

namespace orderline::gateway {

// --- out -----------------------------------------------------------------------------

// RFC 3339 UTC with microseconds: 2026-11-29T04:22:25.123456Z.
std::string rfc3339_utc(std::int64_t micros_since_epoch);

boost::json::value money_json(const v1::Money& money);
// {"order_id","customer_id","status","payment_status","fulfillment_status",
//  "lines":[{"sku","name","quantity","unit_price"}],"total","version","created_at","updated_at"}
boost::json::object order_view_json(const v1::OrderView& view);
// {"sku","name","price","available","active"}; available = on_hand - committed.
boost::json::object product_view_json(const v1::ProductView& view);

// A protobuf message as JSON with proto field names. Unlike the proto3 JSON mapping, 64-bit
// integers stay numbers (money is {"amount_minor": 1999, ...} everywhere in the API).
boost::json::value message_json(const google::protobuf::Message& message);

// One item of GET /orders/{id}/events: {"position","type","stream_version","occurred_at",
// "correlation_id","causation_id","data"} where data is the set case of the envelope's EventPayload. nullopt when the record
// does not decode.
std::optional<boost::json::object> event_json(const v1::EventEnvelope& envelope,
                                              std::string position_token);

// Serialization with object keys sorted at every level: equal documents hash equally
// however the client ordered its keys.
std::string canonical_json(const boost::json::value& value);

// --- in ------------------------------------------------------------------------------

// Reads typed fields of a JSON object, collecting one FieldError per bad field.
class FieldReader {
 public:
  FieldReader(const boost::json::object& object, std::vector<FieldError>& errors,
              std::string prefix = "");

  std::optional<std::string> string(std::string_view key, bool required = true);
  std::optional<std::int32_t> int32(std::string_view key, bool required = true);
  std::optional<std::int64_t> int64(std::string_view key, bool required = true);
  std::optional<v1::Money> money(std::string_view key, bool required = true);
  const boost::json::array* array(std::string_view key, bool required = true);

  std::string path(std::string_view key) const;
  void fail(std::string_view key, std::string message);

 private:
  const boost::json::value* find(std::string_view key, bool required);
  const boost::json::object& object_;
  std::vector<FieldError>& errors_;
  std::string prefix_;
};

template <typename T>
struct Parsed {
  T value;
  std::vector<FieldError> errors;  // empty: value is complete
  bool ok() const { return errors.empty(); }
};

// Bodies of the command routes (ids that come from the path or are generated are left empty).
Parsed<v1::PlaceOrder> parse_place_order(const boost::json::value& body);
Parsed<v1::RegisterCustomer> parse_register_customer(const boost::json::value& body);
Parsed<v1::OrderAction> parse_order_action(const boost::json::value& body);  // {"reason"?, "return_id"?}
Parsed<v1::CreateProduct> parse_create_product(const boost::json::value& body);
Parsed<v1::ChangePrice> parse_change_price(const boost::json::value& body);
Parsed<v1::Restock> parse_restock(const boost::json::value& body);
Parsed<v1::Discontinue> parse_discontinue(const boost::json::value& body);

}  // namespace orderline::gateway
