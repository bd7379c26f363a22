#pragma once
// The read models of the foundation: order details, orders by customer, catalogue with
// available stock, registered customers.
#include <memory>
#include <vector>

#include "projections/projection.h"

namespace orderline::projections {

std::unique_ptr<Projection> make_order_details_projection();
std::unique_ptr<Projection> make_customer_orders_projection();
std::unique_ptr<Projection> make_catalogue_projection();
std::unique_ptr<Projection> make_customers_projection();

std::vector<std::unique_ptr<Projection>> standard_projections();

}  // namespace orderline::projections
