#pragma once
// The read models of the foundation: order details, orders by customer, catalogue with
// available stock, registered customers; and the recommendations' counts.
#include <memory>
#include <string_view>
#include <vector>

#include "projections/projection.h"
#include "projections/recommendations/co_purchase_fold.h"

namespace orderline::projections {

std::unique_ptr<Projection> make_order_details_projection();
std::unique_ptr<Projection> make_customer_orders_projection();
std::unique_ptr<Projection> make_catalogue_projection();
std::unique_ptr<Projection> make_customers_projection();
// Co-purchase counts for recommendations (issue 9; docs/recommendations.md).
std::unique_ptr<Projection> make_recommendations_projection(recommendations::FoldOptions options = {});

// Logins revoked by logout, password change or reset, reuse detection, erasure (issue 6):
// what every gateway's token check asks (ReadModels::session_revoked).
inline constexpr const char* kSessionRevocationsProjection = "revocations";
std::unique_ptr<Projection> make_session_revocations_projection();

std::vector<std::unique_ptr<Projection>> standard_projections();
// A fresh instance of one of them by name (for rebuilds); nullptr for another name.
std::unique_ptr<Projection> standard_projection(std::string_view name);

}  // namespace orderline::projections
