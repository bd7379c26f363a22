#include "cli/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "observability/json_log_formatter.h"
#include "observability/log.h"

namespace orderline::cli {

void setup_logging(const std::string& level, const std::string& component) {
  // One sink for every logger, so lines of all components interleave whole on stderr.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<observability::JsonLogFormatter>());
  auto logger = std::make_shared<spdlog::logger>(component, sink);
  spdlog::set_default_logger(logger);
  for (const char* name : observability::kComponents) {
    if (!spdlog::get(name)) spdlog::register_logger(std::make_shared<spdlog::logger>(name, sink));
  }
  // Loggers created later through spdlog's registry get the same format.
  spdlog::set_formatter(std::make_unique<observability::JsonLogFormatter>());
  observability::set_log_level(observability::parse_log_level(level).value_or(spdlog::level::info));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace orderline::cli
