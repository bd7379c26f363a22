// Health endpoints: /healthz (the process answers), /readyz (log and read models reachable).
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

void healthz(const ExchangePtr& ex) { ex->respond(json_response(json::object{{"status", "ok"}})); }

void readyz(const ExchangePtr& ex) {
  Readiness readiness;
  if (ex->services->readiness) readiness = ex->services->readiness();
  if (readiness.ready) return ex->respond(json_response(json::object{{"status", "ready"}}));
  auto r = json_response(json::object{{"status", "not_ready"}, {"reason", readiness.reason}}, 503);
  r.headers.emplace_back("Retry-After", "1");
  ex->respond(std::move(r));
}

}  // namespace orderline::gateway::handlers
