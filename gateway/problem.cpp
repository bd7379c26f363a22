#include "gateway/problem.h"

#include <boost/json.hpp>

namespace orderline::gateway {
namespace json = boost::json;

std::string problem_title(std::string_view code, unsigned status) {
  struct Title {
    std::string_view code;
    std::string_view title;
  };
  static constexpr Title kTitles[] = {
      {"validation_failed", "Validation failed"},
      {"not_found", "Not found"},
      {"method_not_allowed", "Method not allowed"},
      {"unsupported_media_type", "Unsupported media type"},
      {"payload_too_large", "Payload too large"},
      {"unauthorized", "Unauthorized"},
      {"forbidden", "Forbidden"},
      {"version_conflict", "Version conflict"},
      {"invalid_transition", "Invalid state transition"},
      {"already_exists", "Already exists"},
      {"out_of_stock", "Out of stock"},
      {"unknown_sku", "Unknown SKU"},
      {"product_inactive", "Product inactive"},
      {"currency_mismatch", "Currency mismatch"},
      {"unknown_customer", "Unknown customer"},
      {"idempotency_key_reused", "Idempotency key reused"},
      {"rate_limited", "Too many requests"},
      {"outcome_unknown", "Outcome unknown"},
      {"shutting_down", "Shutting down"},
      {"log_unavailable", "Event log unavailable"},
      {"not_caught_up", "Read models not caught up"},
      {"not_ready", "Not ready"},
      {"too_many_connections", "Too many connections"},
      {"internal_error", "Internal error"},
      {"upgrade_required", "Upgrade required"},
      {"origin_not_allowed", "Origin not allowed"},
      {"unavailable", "Service unavailable"},
      {"weak_password", "Password too weak"},
      {"invalid_credentials", "Invalid credentials"},
      {"account_locked", "Account locked"},
      {"invalid_refresh_token", "Invalid refresh token"},
      {"refresh_token_reused", "Refresh token reused"},
      {"overloaded", "Overloaded"},
      {"not_configured", "Not configured"},
      {"key_store_unavailable", "Key store unavailable"},
  };
  for (const auto& t : kTitles) {
    if (t.code == code) return std::string(t.title);
  }
  switch (status) {
    case 400: return "Bad request";
    case 404: return "Not found";
    case 409: return "Conflict";
    case 422: return "Unprocessable content";
    case 503: return "Service unavailable";
    default: return "Error";
  }
}

Response problem(unsigned status, std::string_view code, std::string_view detail,
                 const std::vector<FieldError>& errors) {
  json::object body;
  body["type"] = "https://orderline.dev/problems/" + std::string(code);
  body["title"] = problem_title(code, status);
  body["status"] = status;
  body["detail"] = detail;
  body["code"] = code;
  if (!errors.empty()) {
    json::array list;
    for (const auto& e : errors) list.push_back(json::object{{"field", e.field}, {"message", e.message}});
    body["errors"] = std::move(list);
  }
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = json::serialize(body);
  return r;
}

Response validation_problem(std::vector<FieldError> errors) {
  std::string detail = errors.size() == 1 ? errors.front().field + ": " + errors.front().message
                                          : std::to_string(errors.size()) + " fields are invalid";
  if (errors.size() == 1 && errors.front().field.empty()) detail = errors.front().message;
  return problem(400, "validation_failed", detail, errors);
}

unsigned status_for_rejection(std::string_view code) {
  if (code == "validation_failed") return 400;
  if (code == "not_found") return 404;
  if (code == "invalid_transition" || code == "version_conflict" || code == "already_exists" ||
      code == "out_of_stock")
    return 409;
  if (code == "unknown_sku" || code == "product_inactive" || code == "currency_mismatch" ||
      code == "unknown_customer" || code == "idempotency_key_reused")
    return 422;
  // A code the gateway does not know yet: the request was refused on business grounds.
  return 422;
}

Response reply_problem(const commands::CommandReply& reply) {
  using Kind = commands::CommandReply::Kind;
  const auto& outcome = reply.outcome;
  switch (reply.kind) {
    case Kind::done: {
      const std::string code = outcome.error_code().empty() ? "validation_failed" : outcome.error_code();
      const unsigned status = status_for_rejection(code);
      std::vector<FieldError> errors;
      if (code == "validation_failed") {
        errors.push_back({outcome.error_field(), outcome.error_detail()});
      }
      return problem(status, code, outcome.error_detail(), errors);
    }
    case Kind::overloaded: {
      auto r = problem(429, "rate_limited", "the engine is saturated; retry shortly");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Kind::timed_out: {
      auto r = problem(504, "outcome_unknown",
                       "no outcome before the deadline; retrying with the same Idempotency-Key is safe");
      auto body = json::parse(r.body).as_object();
      body["command_id"] = outcome.command_id();
      r.body = json::serialize(body);
      return r;
    }
    case Kind::shutting_down: {
      auto r = problem(503, "shutting_down", "the engine is shutting down");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    case Kind::failed: {
      auto r = problem(503, "log_unavailable", "the event log refused the write; nothing was recorded");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
  }
  return problem(500, "internal_error", "unknown reply kind");
}

}  // namespace orderline::gateway
