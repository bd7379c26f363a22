#pragma once
// Why a command was refused. Rejections are values, not exceptions: the command
// processor records them as the command's durable outcome.
#include <string>

namespace orderline::domain {

// Stable slugs, part of the API contract (problem+json "code").
namespace codes {
inline constexpr const char* validation_failed = "validation_failed";
inline constexpr const char* not_found = "not_found";
inline constexpr const char* already_exists = "already_exists";
inline constexpr const char* invalid_transition = "invalid_transition";
inline constexpr const char* version_conflict = "version_conflict";
inline constexpr const char* unknown_sku = "unknown_sku";
inline constexpr const char* product_inactive = "product_inactive";
inline constexpr const char* currency_mismatch = "currency_mismatch";
inline constexpr const char* unknown_customer = "unknown_customer";
inline constexpr const char* out_of_stock = "out_of_stock";
}  // namespace codes

struct Rejection {
  std::string code;    // one of codes::*
  std::string detail;  // human readable
  std::string field;   // JSON path of the offending field, when there is one (e.g. "lines[0].quantity")
};

}  // namespace orderline::domain
