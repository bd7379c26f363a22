#include "observability/json_log_formatter.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "observability/log_context.h"

namespace orderline::observability {
namespace {

void append(std::string_view text, spdlog::memory_buf_t& dest) { dest.append(text.data(), text.data() + text.size()); }

void append_field(std::string_view name, std::string_view value, spdlog::memory_buf_t& dest) {
  append(",\"", dest);
  append(name, dest);
  append("\":\"", dest);
  append_json_escaped(value, dest);
  dest.push_back('"');
}

}  // namespace

void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    switch (c) {
      case '"': append("\\\"", dest); break;
      case '\\': append("\\\\", dest); break;
      case '\n': append("\\n", dest); break;
      case '\r': append("\\r", dest); break;
      case '\t': append("\\t", dest); break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
          dest.append(escaped, escaped + sizeof escaped);
        } else {
          dest.push_back(c);  // UTF-8 passes through unchanged
        }
      }
    }
  }
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<microseconds>(msg.time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(duration_cast<std::chrono::seconds>(since_epoch).count());
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  const auto micros = since_epoch.count() % 1'000'000;
  fmt::format_to(std::back_inserter(dest), "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\"",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
  const auto level = spdlog::level::to_string_view(msg.level);
  append_field("level", std::string_view(level.data(), level.size()), dest);
  append_field("component", std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
  append_field("msg", std::string_view(msg.payload.data(), msg.payload.size()), dest);
  const auto& context = current_log_context();
  if (!context.correlation_id.empty()) append_field("correlation_id", context.correlation_id, dest);
  if (!context.causation_id.empty()) append_field("causation_id", context.causation_id, dest);
  append("}\n", dest);
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace orderline::observability
