// Orders by customer, newest first: an index of keys; the order documents come from
// order_details when the page is read.
#include "projections/keys.h"
#include "projections/standard_projections.h"

namespace orderline::projections {
namespace {

class CustomerOrders final : public Projection {
 public:
  std::string name() const override { return "customer_orders"; }
  std::vector<std::string> key_prefixes() const override { return {"c/"}; }

  void apply(const EventContext& ctx, BatchWriter& writer) override {
    if (ctx.event.event_case() != v1::EventPayload::kOrderPlaced) return;
    const auto& placed = ctx.event.order_placed();
    std::string_view order_id = ctx.envelope.stream_id();
    order_id.remove_prefix(std::min(order_id.size(), std::string_view("order-").size()));
    writer.put(keys::customer_order(placed.customer_id(), ctx.envelope.occurred_at_us(), order_id), "");
  }
};

}  // namespace

std::unique_ptr<Projection> make_customer_orders_projection() {
  return std::make_unique<CustomerOrders>();
}

}  // namespace orderline::projections
