// GET /api/v1/orders/{id}?as_of=TIME: the order as it was at TIME, folded from its own stream
// in the log (never from the read models, which only know the present) by the order_details
// projection's own fold, so the document has exactly the shape of GET /api/v1/orders/{id}.
//
// TIME is compared with the log time of each event (when the log accepted it; LogAppendTime in
// Kafka), the clock exports are cut by: the answer is what a reader could have seen at TIME.
// The event's occurred_at (business time, the view's updated_at) is stamped when the command is
// decided, a moment before its append.
#include <boost/json.hpp>

#include "domain/aggregate.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/order_search_params.h"
#include "gateway/route_support.h"
#include "projections/order_view_fold.h"

namespace orderline::gateway::handlers {

void order_as_of(const ExchangePtr& ex) {
  const auto& order_id = ex->param("order_id");
  const auto text = ex->request.query_param("as_of").value_or("");
  const auto as_of = parse_rfc3339_micros(text);
  if (!as_of) {
    return ex->respond(validation_problem(
        {{"as_of", "must be an RFC 3339 time (2026-11-29T10:15:30Z, 2026-11-29T10:15:30.5+01:00) or a date"}}));
  }
  auto records = ex->services->log->read_stream(domain::order_stream(order_id));
  if (!records) {
    return ex->respond(problem(503, "log_unavailable", "cannot read the event log: " + records.detail));
  }
  v1::OrderView view;
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  for (const auto& record : *records.value) {
    // A stream lives in one partition, whose log times never decrease: the rest is later.
    if (record.log_time_us > *as_of) break;
    if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) continue;
    if (projections::changes_order_view(event)) {
      projections::fold_order_view(view, projections::EventContext{record, envelope, event});
    }
  }
  if (view.order_id().empty()) {
    return ex->respond(problem(404, "not_found",
                               records.value->empty() ? "no order " + order_id
                                                      : "order " + order_id + " did not exist yet at " + std::string(text)));
  }
  ex->respond(json_response(order_view_json(view)));
}

}  // namespace orderline::gateway::handlers
