#pragma once
// Money is integer minor units plus an ISO 4217 code; never floating point.
// Arithmetic refuses overflow and mixed currencies instead of wrapping.
#include <cstdint>
#include <optional>
#include <string_view>

#include "orderline/v1/events.pb.h"

namespace orderline::domain {

// Largest amount we accept anywhere (10^15 minor units): products of a price and a
// quantity stay far from int64 overflow.
inline constexpr std::int64_t kMaxAmountMinor = 1'000'000'000'000'000;

// True for the ISO 4217 codes the engine trades in (three upper-case letters from a known list).
bool is_known_currency(std::string_view code);

v1::Money make_money(std::int64_t amount_minor, std::string_view currency);
std::optional<v1::Money> add(const v1::Money& a, const v1::Money& b);
std::optional<v1::Money> multiply(const v1::Money& m, std::int64_t factor);
bool operator==(const v1::Money& a, const v1::Money& b);

}  // namespace orderline::domain
