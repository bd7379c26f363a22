// Registered customers, so an order can be checked against a known customer.
#include "projections/keys.h"
#include "projections/standard_projections.h"

namespace orderline::projections {
namespace {

class Customers final : public Projection {
 public:
  std::string name() const override { return "customers"; }
  std::vector<std::string> key_prefixes() const override { return {"u/"}; }
  void apply(const EventContext& ctx, BatchWriter& writer) override {
    if (ctx.event.event_case() != v1::EventPayload::kCustomerRegistered) return;
    writer.put(keys::customer(ctx.event.customer_registered().customer_id()), "");
  }
};

}  // namespace

std::unique_ptr<Projection> make_customers_projection() { return std::make_unique<Customers>(); }

std::vector<std::unique_ptr<Projection>> standard_projections() {
  std::vector<std::unique_ptr<Projection>> all;
  all.push_back(make_customers_projection());
  all.push_back(make_catalogue_projection());  // before order_details: reads the order's lines as they were
  all.push_back(make_customer_orders_projection());
  all.push_back(make_order_details_projection());
  all.push_back(make_recommendations_projection());
  all.push_back(make_session_revocations_projection());
  return all;
}

std::unique_ptr<Projection> standard_projection(std::string_view name) {
  for (auto& projection : standard_projections()) {
    if (projection->name() == name) return std::move(projection);
  }
  return nullptr;
}

}  // namespace orderline::projections
