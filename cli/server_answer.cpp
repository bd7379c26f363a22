#include "cli/server_answer.h"

#include <boost/json.hpp>

#include <iostream>

namespace orderline::cli {

bool answer_ok(const HttpGetResult& answer, const std::string& what) {
  if (!answer.ok) {
    std::cerr << what << ": " << answer.error << std::endl;
    return false;
  }
  if (answer.status >= 200 && answer.status < 300) return true;
  boost::json::error_code ec;
  const auto problem = boost::json::parse(answer.body, ec);
  const auto* object = ec ? nullptr : problem.if_object();
  auto field = [&](const char* name) -> std::string {
    const auto* value = object ? object->if_contains(name) : nullptr;
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  std::cerr << what << ": " << answer.status;
  if (object) {
    const auto detail = field("detail");
    std::cerr << " " << field("code") << ": " << detail;
    // Validation problems list their fields; the detail may already say it all.
    const auto* errors = object->if_contains("errors");
    if (errors && errors->is_array() && detail.empty()) {
      for (const auto& e : errors->as_array()) {
        if (!e.is_object()) continue;
        const auto* f = e.as_object().if_contains("field");
        const auto* m = e.as_object().if_contains("message");
        if (f && m && f->is_string() && m->is_string()) {
          std::cerr << "; " << std::string(f->as_string()) << ": " << std::string(m->as_string());
        }
      }
    }
  } else {
    std::cerr << " " << answer.body.substr(0, 200);
  }
  std::cerr << std::endl;
  return false;
}

}  // namespace orderline::cli
