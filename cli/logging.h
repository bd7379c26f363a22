#pragma once
// The one logger set-up of the binaries: JSON lines on stderr (observability/json_log_formatter.h),
// one logger per component (observability/log.h), the level changeable at run time.
#include <string>

namespace orderline::cli {

// level: trace, debug, info, warn, error. component names the process role: it is the
// "component" of lines written through the default logger (start-up, shutdown); the engine's
// parts log as "gateway", "commands", "projector".
void setup_logging(const std::string& level, const std::string& component);

}  // namespace orderline::cli
