#pragma once
// The one logger set-up of the binaries: JSON lines on stderr.
#include <string>

namespace orderline::cli {

// level: trace, debug, info, warn, error. component names the process role.
void setup_logging(const std::string& level, const std::string& component);

}  // namespace orderline::cli
