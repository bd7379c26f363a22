// Operator endpoints: /healthz (the process answers), /readyz (log and read models reachable,
// each check named), /metrics (Prometheus text format).
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

void healthz(const ExchangePtr& ex) { ex->respond(json_response(json::object{{"status", "ok"}})); }

//   200 {"status":"ready","checks":{"event_log":"ok","read_models":"ok"}}
//   503 {"status":"not_ready","reason":"read models are 12345 events behind the log",
//        "checks":{"event_log":"ok","read_models":"12345 events behind"}}
void readyz(const ExchangePtr& ex) {
  Readiness readiness;
  if (ex->services->readiness) readiness = ex->services->readiness();
  json::object checks;
  for (const auto& [name, state] : readiness.checks) checks[name] = state;
  if (readiness.ready) return ex->respond(json_response(json::object{{"status", "ready"}, {"checks", checks}}));
  auto r = json_response(
      json::object{{"status", "not_ready"}, {"reason", readiness.reason}, {"checks", std::move(checks)}}, 503);
  r.headers.emplace_back("Retry-After", "1");
  ex->respond(std::move(r));
}

void metrics(const ExchangePtr& ex) {
  if (!ex->services->metrics) return ex->respond(problem(404, "not_found", "this server exports no metrics"));
  Response r;
  // The Prometheus text exposition format, version 0.0.4.
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ex->services->metrics();
  ex->respond(std::move(r));
}

}  // namespace orderline::gateway::handlers
