// PUT /api/v1/admin/log-level {"level":"debug"}: changes the level of every logger of the
// process at run time (staff only), so an operator can look closer at a live problem without
// a restart. Answers {"level":"debug","previous":"info"}.
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "gateway/route_support.h"
#include "observability/log.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

void set_log_level(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto* object = body->if_object();
  const auto* level_value = object ? object->if_contains("level") : nullptr;
  const auto* name = level_value ? level_value->if_string() : nullptr;
  const auto level = name ? observability::parse_log_level(std::string_view(*name)) : std::nullopt;
  if (!level) {
    ex->respond(validation_problem({{"level", "must be one of trace, debug, info, warn, error, critical, off"}}));
    return;
  }
  const auto previous = observability::log_level_name();
  observability::set_log_level(*level);
  observability::log("gateway")->warn("log level set to {} (was {})", observability::log_level_name(), previous);
  ex->respond(json_response(json::object{{"level", observability::log_level_name()}, {"previous", previous}}));
}

}  // namespace orderline::gateway::handlers
