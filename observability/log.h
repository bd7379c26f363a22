#pragma once
// Component loggers: each part of the engine logs through a logger named after it, so its
// JSON lines say "component":"gateway" (or "commands", "projector", ...). The binaries'
// set-up (cli/logging.cpp) registers them all on one stderr sink with JsonLogFormatter;
// elsewhere (unit tests) the default logger stands in.
//
//   log("projector")->error("cannot write read models: {}", status);
//
// Levels are process-wide: set_log_level() changes every logger at once, at run time.
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace orderline::observability {

// The components that log; setup registers one logger per name.
inline constexpr const char* kComponents[] = {"gateway", "commands", "projector"};

// The component's logger (the default logger when it is not registered). Looked up per call,
// so loggers registered after the caller started are found; hot paths check should_log first.
std::shared_ptr<spdlog::logger> log(const char* component);

// True when a line of `level` would be written (the level is the same for every logger).
inline bool should_log(spdlog::level::level_enum level) { return spdlog::default_logger_raw()->should_log(level); }

// "trace", "debug", "info", "warn", "error", "critical", "off" -> the level; nullopt otherwise.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Sets every logger (and loggers created later) to `level`. Thread-safe.
void set_log_level(spdlog::level::level_enum level);

// The current level's name ("info", "warn", ...), as parse_log_level accepts it.
std::string log_level_name();

}  // namespace orderline::observability
