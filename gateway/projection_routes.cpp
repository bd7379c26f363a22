// Projection operations for staff: the registry with checkpoints, lag and rebuild progress,
// and rebuild / pause / resume / reset (DESIGN: rules of the read side).
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace {
namespace json = boost::json;
using projections::OperationResult;
using projections::ProjectionOperations;
using projections::ProjectionStatus;

json::array numbers(const std::vector<std::uint64_t>& values) {
  json::array out;
  for (auto v : values) out.push_back(v);
  return out;
}

json::object status_json(const ProjectionStatus& s) {
  json::object o{{"name", s.name},
                 {"version", s.version},
                 {"sink", s.sink},
                 {"state", s.state},
                 {"checkpoints", numbers(s.checkpoints)},
                 {"log_ends", numbers(s.log_ends)},
                 {"lag_events", s.lag_events},
                 {"lag_seconds", s.lag_seconds},
                 {"error", s.error.empty() ? json::value(nullptr) : json::value(s.error)}};
  if (s.rebuild) {
    const auto& r = *s.rebuild;
    o["rebuild"] = json::object{
        {"target_version", r.target_version},
        {"state", r.state},
        {"folded", r.folded},
        {"total", r.total},
        {"events_per_second", r.events_per_second},
        {"eta_seconds", r.eta_seconds < 0 ? json::value(nullptr) : json::value(r.eta_seconds)},
        {"started_at", rfc3339_utc(r.started_at_us)},
        {"finished_at", r.finished_at_us ? json::value(rfc3339_utc(r.finished_at_us)) : json::value(nullptr)},
        {"error", r.error.empty() ? json::value(nullptr) : json::value(r.error)}};
  } else {
    o["rebuild"] = nullptr;
  }
  return o;
}

// The operations, or an answer saying they are not available here.
ProjectionOperations* operations(const ExchangePtr& ex) {
  // Who may operate them: the route table (ops, admin), applied by dispatch().
  auto* ops = ex->services->projections;
  if (ops == nullptr) ex->respond(problem(503, "unavailable", "projection operations are not available on this server"));
  return ops;
}

// The projection's status after an operation (202 for a rebuild that has just started).
void answer(const ExchangePtr& ex, ProjectionOperations& ops, const OperationResult& result, unsigned success) {
  const auto& name = ex->param("name");
  switch (result.code) {
    case OperationResult::Code::not_found: return ex->respond(problem(404, "not_found", result.detail));
    case OperationResult::Code::conflict: return ex->respond(problem(409, "rebuild_in_progress", result.detail));
    case OperationResult::Code::unsupported: return ex->respond(problem(422, "unsupported_operation", result.detail));
    case OperationResult::Code::ok: break;
  }
  for (const auto& status : ops.list()) {
    if (status.name == name && status.sink == "rocksdb") {
      auto r = json_response(status_json(status), success);
      r.headers.emplace_back("Location", "/api/v1/admin/projections/" + name);
      return ex->respond(std::move(r));
    }
  }
  ex->respond(json_response(json::object{{"name", name}}, success));
}

template <typename Operation>
void operate(const ExchangePtr& ex, Operation operation, unsigned success) {
  auto* ops = operations(ex);
  if (!ops) return;
  answer(ex, *ops, operation(*ops, ex->param("name")), success);
}

}  // namespace

void list_projections(const ExchangePtr& ex) {
  auto* ops = operations(ex);
  if (!ops) return;
  json::array items;
  for (const auto& status : ops->list()) items.push_back(status_json(status));
  ex->respond(json_response(json::object{{"items", std::move(items)}}));
}

void get_projection(const ExchangePtr& ex) {
  auto* ops = operations(ex);
  if (!ops) return;
  json::array items;
  for (const auto& status : ops->list()) {
    if (status.name == ex->param("name")) items.push_back(status_json(status));
  }
  if (items.empty()) return ex->respond(problem(404, "not_found", "no projection " + ex->param("name")));
  // One name may live in two sinks (RocksDB and PostgreSQL): all of them.
  ex->respond(json_response(json::object{{"items", std::move(items)}}));
}

void rebuild_projection(const ExchangePtr& ex) {
  operate(ex, [](ProjectionOperations& ops, const std::string& name) { return ops.rebuild(name); }, 202);
}
void pause_projection(const ExchangePtr& ex) {
  operate(ex, [](ProjectionOperations& ops, const std::string& name) { return ops.pause(name); }, 200);
}
void resume_projection(const ExchangePtr& ex) {
  operate(ex, [](ProjectionOperations& ops, const std::string& name) { return ops.resume(name); }, 200);
}
void reset_projection(const ExchangePtr& ex) {
  operate(ex, [](ProjectionOperations& ops, const std::string& name) { return ops.reset(name); }, 200);
}

namespace {

json::object dead_letter_json(const v1::DeadLetter& d) {
  return {{"id", projections::dead_letter_id(d)},
          {"projection", d.projection()},
          {"partition", d.partition()},
          {"offset", d.offset()},
          {"stream_id", d.stream_id()},
          {"event_type", d.event_type()},
          {"error", d.error()},
          {"attempts", d.attempts()},
          {"parked_at", rfc3339_utc(d.parked_at_us())},
          {"log_time", rfc3339_utc(d.log_time_us())}};
}

void dead_letter_operation(const ExchangePtr& ex, bool retry) {
  auto* ops = operations(ex);
  if (!ops) return;
  const auto& id = ex->param("id");
  const auto result = retry ? ops->retry_dead_letter(id) : ops->skip_dead_letter(id);
  switch (result.code) {
    case OperationResult::Code::not_found: return ex->respond(problem(404, "not_found", result.detail));
    case OperationResult::Code::conflict: return ex->respond(problem(409, "still_failing", result.detail));
    case OperationResult::Code::unsupported: return ex->respond(problem(422, "unsupported_operation", result.detail));
    case OperationResult::Code::ok: break;
  }
  ex->respond(json_response(json::object{{"id", id}, {"state", retry ? "folded" : "skipped"}}));
}

}  // namespace

void list_dead_letters(const ExchangePtr& ex) {
  auto* ops = operations(ex);
  if (!ops) return;
  const auto limit = page_limit(ex);
  if (!limit) return;
  const std::string projection(ex->request.query_param("projection").value_or(""));
  json::array items;
  for (const auto& letter : ops->dead_letters(projection, *limit)) items.push_back(dead_letter_json(letter));
  ex->respond(json_response(json::object{{"items", std::move(items)}}));
}

void retry_dead_letter(const ExchangePtr& ex) { dead_letter_operation(ex, true); }
void skip_dead_letter(const ExchangePtr& ex) { dead_letter_operation(ex, false); }

}  // namespace orderline::gateway::handlers
