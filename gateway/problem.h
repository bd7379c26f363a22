#pragma once
// RFC 9457 problem+json answers and the mapping of CommandBus replies onto HTTP.
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_bus.h"
#include "gateway/exchange.h"

namespace orderline::gateway {

struct FieldError {
  std::string field;    // JSON path, e.g. "lines[0].quantity"
  std::string message;
};

// {"type":"https://orderline.dev/problems/<code>","title","status","detail","code"[,"errors"]}
// with Content-Type application/problem+json.
Response problem(unsigned status, std::string_view code, std::string_view detail,
                 const std::vector<FieldError>& errors = {});

// 400 validation_failed listing the offending fields.
Response validation_problem(std::vector<FieldError> errors);

// HTTP status of a rejection code of the domain (domain::codes, idempotency_key_reused, ...).
unsigned status_for_rejection(std::string_view error_code);

// The answer to a reply that is not an accepted outcome: rejections, overload, time-outs,
// shutdown, log failures. Must not be called with an accepted outcome.
Response reply_problem(const commands::CommandReply& reply);

// Title of a problem code ("Validation failed", ...); the status text for unknown codes.
std::string problem_title(std::string_view code, unsigned status);

}  // namespace orderline::gateway
