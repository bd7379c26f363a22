#include "projections/order_feed.h"

#include "orderline/v1/views.pb.h"
#include "projections/keys.h"

namespace orderline::projections {

std::optional<OrderUpdate> order_update(const EventContext& context, BatchWriter& batch) {
  constexpr std::string_view kPrefix = "order-";
  const std::string_view stream = context.envelope.stream_id();
  if (stream.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto stored = batch.get(keys::order(stream.substr(kPrefix.size())));
  v1::OrderView view;
  if (!stored || !view.ParseFromString(*stored)) return std::nullopt;
  // order_details records the event it last folded in; any other event left the view alone.
  if (view.partition() != context.record.partition || view.offset() != context.record.offset) return std::nullopt;
  OrderUpdate update;
  update.order_id = view.order_id();
  update.customer_id = view.customer_id();
  update.type = context.envelope.type();
  update.status = view.status();
  update.payment_status = view.payment_status();
  update.fulfillment_status = view.fulfillment_status();
  update.version = view.version();
  update.partition = context.record.partition;
  update.offset = context.record.offset;
  update.at_us = context.envelope.occurred_at_us();
  update.correlation_id = context.envelope.correlation_id();
  update.causation_id = context.envelope.causation_id();
  return update;
}

}  // namespace orderline::projections
