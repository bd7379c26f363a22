// Order details by id: header, lines, the three status machines and their history.
#include "projections/keys.h"
#include "projections/order_view_fold.h"
#include "projections/standard_projections.h"
#include "orderline/v1/views.pb.h"

namespace orderline::projections {
namespace {

std::string_view order_id_of(std::string_view stream_id) {
  constexpr std::string_view prefix = "order-";
  return stream_id.substr(0, prefix.size()) == prefix ? stream_id.substr(prefix.size()) : stream_id;
}

const v1::OrderMoved* moved(const v1::EventPayload& event) {
  switch (event.event_case()) {
    case v1::EventPayload::kOrderPaid: return &event.order_paid();
    case v1::EventPayload::kOrderShipped: return &event.order_shipped();
    case v1::EventPayload::kOrderDelivered: return &event.order_delivered();
    case v1::EventPayload::kOrderCancelled: return &event.order_cancelled();
    case v1::EventPayload::kOrderReturnRequested: return &event.order_return_requested();
    case v1::EventPayload::kOrderReturned: return &event.order_returned();
    case v1::EventPayload::kOrderConfirmed: return &event.order_confirmed();
    case v1::EventPayload::kOrderExpired: return &event.order_expired();
    case v1::EventPayload::kOrderPaymentActionRequired: return &event.order_payment_action_required();
    case v1::EventPayload::kOrderPaymentActionCompleted: return &event.order_payment_action_completed();
    // Moves no machine, but counts for the version a client sends back in If-Match.
    case v1::EventPayload::kOrderStockReserved: return &v1::OrderMoved::default_instance();
    default: return nullptr;
  }
}

void apply_transitions(v1::OrderView& view, const google::protobuf::RepeatedPtrField<v1::Transition>& transitions,
                       std::int64_t at_us, const std::string& reason) {
  for (const auto& t : transitions) {
    if (t.machine() == "order") view.set_status(t.to());
    else if (t.machine() == "payment") view.set_payment_status(t.to());
    else if (t.machine() == "fulfillment") view.set_fulfillment_status(t.to());
    auto* change = view.add_history();
    change->set_machine(t.machine());
    change->set_from(t.from());
    change->set_to(t.to());
    change->set_at_us(at_us);
    change->set_reason(reason);
  }
}

class OrderDetails final : public Projection {
 public:
  std::string name() const override { return "order_details"; }
  std::vector<std::string> key_prefixes() const override { return {"o/"}; }

  void apply(const EventContext& ctx, BatchWriter& writer) override {
    if (!changes_order_view(ctx.event)) return;
    const auto key = keys::order(order_id_of(ctx.envelope.stream_id()));
    v1::OrderView view;
    if (ctx.event.event_case() != v1::EventPayload::kOrderPlaced) {
      auto stored = writer.get(key);
      if (!stored || !view.ParseFromString(*stored)) return;  // no placement seen: nothing to move
    }
    if (fold_order_view(view, ctx)) writer.put(key, view.SerializeAsString());
  }
};

}  // namespace

bool changes_order_view(const v1::EventPayload& event) {
  return event.event_case() == v1::EventPayload::kOrderPlaced || moved(event) != nullptr;
}

bool fold_order_view(v1::OrderView& view, const EventContext& ctx) {
  if (ctx.event.event_case() == v1::EventPayload::kOrderPlaced) {
    const auto& placed = ctx.event.order_placed();
    view.Clear();
    view.set_order_id(std::string(order_id_of(ctx.envelope.stream_id())));
    view.set_customer_id(placed.customer_id());
    *view.mutable_lines() = placed.lines();
    *view.mutable_total() = placed.total();
    view.set_created_at_us(ctx.envelope.occurred_at_us());
    view.set_saga(placed.saga());
    apply_transitions(view, placed.transitions(), ctx.envelope.occurred_at_us(), "placed");
  } else if (const auto* move = moved(ctx.event); move != nullptr && !view.order_id().empty()) {
    apply_transitions(view, move->transitions(), ctx.envelope.occurred_at_us(), move->reason());
  } else {
    return false;
  }
  view.set_version(ctx.envelope.stream_version());
  view.set_updated_at_us(ctx.envelope.occurred_at_us());
  view.set_partition(ctx.record.partition);
  view.set_offset(ctx.record.offset);
  return true;
}

std::unique_ptr<Projection> make_order_details_projection() { return std::make_unique<OrderDetails>(); }

}  // namespace orderline::projections
