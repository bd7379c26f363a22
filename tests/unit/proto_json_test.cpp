// The export's JSON printer against protobuf's own (util::MessageToJsonString with proto field
// names): the same JSON document for every kind of event, awkward text, extreme numbers and
// bytes, so exports keep "the Protobuf JSON mapping" while printing it 20 times faster.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <google/protobuf/util/json_util.h>

#include <limits>

#include "cli/proto_json.h"
#include "orderline/v1/commands.pb.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"
#include "orderline/v1/views.pb.h"

namespace orderline::cli {
namespace {

namespace json = boost::json;

std::string theirs(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &out, options).ok());
  return out;
}

std::string ours(const google::protobuf::Message& message) {
  std::string out;
  append_proto_json(message, out);
  return out;
}

void expect_same(const google::protobuf::Message& message) {
  const auto expected = theirs(message);
  const auto actual = ours(message);
  json::error_code ec;
  const auto parsed = json::parse(actual, ec);
  ASSERT_FALSE(ec) << "not JSON: " << actual;
  EXPECT_EQ(parsed, json::parse(expected)) << "ours:   " << actual << "\ntheirs: " << expected;
}

const char* kAwkward = "quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 del \x7f "
                       "unicode \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 <script>&amp; \xe2\x80\xa8";

TEST(ProtoJson, EmptyMessagesAndDefaultsAreOmittedLikeProtobuf) {
  expect_same(v1::EventEnvelope());
  expect_same(v1::EventPayload());
  v1::OrderMoved zero;
  zero.set_order_id("");
  zero.mutable_amount();  // a present but empty message is printed as {}
  v1::EventPayload payload;
  *payload.mutable_order_paid() = zero;  // a set oneof member with default contents
  expect_same(payload);
  EXPECT_EQ(ours(v1::EventEnvelope()), "{}");
}

TEST(ProtoJson, EnvelopesWithEveryFieldAndBytes) {
  v1::EventEnvelope envelope;
  envelope.set_event_id("5fa091e0-9fae-434c-a3e8-f956ba3fb22c");
  envelope.set_stream_id(kAwkward);
  envelope.set_stream_version(std::numeric_limits<std::uint64_t>::max());
  envelope.set_type("OrderPlaced");
  envelope.set_schema_version(std::numeric_limits<std::uint32_t>::max());
  envelope.set_occurred_at_us(std::numeric_limits<std::int64_t>::min());
  envelope.set_correlation_id("c");
  envelope.set_causation_id("d");
  envelope.set_command_id("e");
  envelope.set_actor("anonymous");
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                            std::string("\0\xff\x10\x80", 4), std::string(1000, '\xfe')}) {
    envelope.set_payload(bytes);
    expect_same(envelope);
  }
}

// The envelope's printer without reflection writes the same bytes as the reflection printer
// (and so the same JSON as protobuf's), for every combination of set and default fields.
TEST(ProtoJson, TheEnvelopePrinterWritesTheReflectionPrintersBytes) {
  for (int mask = 0; mask < (1 << 11); ++mask) {
    v1::EventEnvelope envelope;
    auto on = [&](int bit) { return (mask >> bit) & 1; };
    if (on(0)) envelope.set_event_id("5fa091e0");
    if (on(1)) envelope.set_stream_id(kAwkward);
    if (on(2)) envelope.set_stream_version(mask % 3 ? 7 : std::numeric_limits<std::uint64_t>::max());
    if (on(3)) envelope.set_type("OrderPlaced");
    if (on(4)) envelope.set_schema_version(mask % 5 ? 2 : std::numeric_limits<std::uint32_t>::max());
    if (on(5)) envelope.set_occurred_at_us(mask % 2 ? -1 : std::numeric_limits<std::int64_t>::min());
    if (on(6)) envelope.set_correlation_id("c\"");
    if (on(7)) envelope.set_causation_id("d");
    if (on(8)) envelope.set_command_id(std::string("e\0", 2));
    if (on(9)) envelope.set_actor("anonymous");
    if (on(10)) envelope.set_payload(std::string("\0\xff\x10", 3));
    std::string fast;
    append_envelope_json(envelope, fast);
    ASSERT_EQ(fast, ours(envelope)) << "mask " << mask;
  }
  expect_same(v1::EventEnvelope());
}

TEST(ProtoJson, EveryEventOfAnOrdersLifeAndTheCatalogue) {
  v1::EventPayload placed;
  auto* p = placed.mutable_order_placed();
  p->set_order_id("o-1");
  p->set_customer_id(kAwkward);
  p->set_currency("EUR");
  for (int i = 0; i < 3; ++i) {
    auto* line = p->add_lines();
    line->set_sku("SKU-" + std::to_string(i));
    line->set_name(kAwkward);
    line->set_quantity(i == 2 ? std::numeric_limits<std::int32_t>::min() : i);
    line->mutable_unit_price()->set_amount_minor(i == 1 ? -5 : std::numeric_limits<std::int64_t>::max());
    line->mutable_unit_price()->set_currency("EUR");
  }
  p->mutable_total()->set_amount_minor(1);
  auto* t = p->add_transitions();
  t->set_machine("order");
  t->set_to("placed");
  expect_same(placed);

  v1::EventPayload moved;
  moved.mutable_order_return_requested()->set_order_id("o-1");
  moved.mutable_order_return_requested()->set_reason(kAwkward);
  moved.mutable_order_return_requested()->set_return_id("r-1");
  moved.mutable_order_return_requested()->mutable_amount()->set_amount_minor(0);
  expect_same(moved);

  v1::EventPayload product;
  product.mutable_product_created()->set_sku("X");
  product.mutable_product_created()->set_stock(-1);
  expect_same(product);
  v1::EventPayload registered;
  registered.mutable_customer_registered()->set_email("a@example.com");
  expect_same(registered);
}

TEST(ProtoJson, ViewsAndCommands) {
  v1::OrderView view;
  view.set_order_id("o");
  view.set_partition(7);
  view.set_offset(123456789012345ULL);
  auto* change = view.add_history();
  change->set_machine("payment");
  change->set_at_us(-1);
  expect_same(view);
  v1::Command command;
  command.set_command_id("c");
  command.set_request_hash(std::string("\x01\x02\x03\xff", 4));
  command.mutable_place_order()->set_order_id("o");
  expect_same(command);
}

}  // namespace
}  // namespace orderline::cli
