#pragma once
// spdlog formatter of one JSON object per line:
//
//   {"time":"2026-01-02T03:04:05.123456Z","level":"error","component":"projector",
//    "msg":"...","correlation_id":"4bf92f35...","causation_id":"place-..."}
//
// component is the logger's name (see log.h); the ids come from the thread's LogContext and
// are left out when empty. Every string is JSON-escaped, so a message may hold quotes,
// backslashes or control characters (a client's SKU, an exception's text) and the line still
// parses.
#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace orderline::observability {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Appends `text` as the contents of a JSON string (without the quotes).
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest);

}  // namespace orderline::observability
