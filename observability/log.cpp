#include "observability/log.h"

namespace orderline::observability {

std::shared_ptr<spdlog::logger> log(const char* component) {
  if (auto logger = spdlog::get(component)) return logger;
  return spdlog::default_logger();
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},       {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn},      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off},
  };
  for (const auto& [text, level] : kLevels) {
    if (text == name) return level;
  }
  return std::nullopt;
}

void set_log_level(spdlog::level::level_enum level) {
  // spdlog::set_level covers the registered loggers; the default logger may be unregistered
  // (replaced by set_default_logger), so it is set explicitly too.
  spdlog::set_level(level);
  spdlog::default_logger_raw()->set_level(level);
}

std::string log_level_name() {
  const auto level = spdlog::default_logger_raw()->level();
  if (level == spdlog::level::warn) return "warn";
  const auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

}  // namespace orderline::observability
