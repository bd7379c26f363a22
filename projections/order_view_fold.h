#pragma once
// The fold of one order's events into its OrderView: the order_details projection applies it
// to each event as the log grows, and GET /api/v1/orders/{id}?as_of=TIME applies it to the
// order's own stream up to a time, so both answer with the same document.
//
//   v1::OrderView view;  // empty: the order does not exist yet
//   for (each record of the order's stream up to the time)
//     if (changes_order_view(event)) fold_order_view(view, {record, envelope, event});
//   if (view.order_id().empty()) -> the order did not exist then
#include "orderline/v1/views.pb.h"
#include "projections/projection.h"

namespace orderline::projections {

// A placement, or a move of one of the order's machines (order, payment, fulfilment).
bool changes_order_view(const v1::EventPayload& event);

// Folds one event of the order's stream into `view`. A placement starts the view afresh; a
// move changes a placed view and returns false, leaving `view` as it is, when nothing has
// been placed yet (or the event changes no order view).
bool fold_order_view(v1::OrderView& view, const EventContext& context);

}  // namespace orderline::projections
