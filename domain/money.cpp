// Money arithmetic that refuses instead of wrapping: a total that does not fit is a
// rejected command, never a silently wrong charge.
#include "domain/money.h"

#include <algorithm>
#include <array>
#include <string>

namespace orderline::domain {
namespace {

// The currencies the engine trades in. A closed list rather than "three upper-case letters"
// so that a typo ("EUO") is a validation error and not a new currency nobody can pay in.
constexpr std::array<std::string_view, 21> kKnownCurrencies = {
    "EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD",
    "AUD", "NZD", "CNY", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW",
};

// Amounts are symmetric around zero so that a refund of any valid amount is valid too.
bool in_range(std::int64_t amount) { return amount <= kMaxAmountMinor && amount >= -kMaxAmountMinor; }

}  // namespace

bool is_known_currency(std::string_view code) {
  return std::find(kKnownCurrencies.begin(), kKnownCurrencies.end(), code) != kKnownCurrencies.end();
}

v1::Money make_money(std::int64_t amount_minor, std::string_view currency) {
  v1::Money money;
  money.set_amount_minor(amount_minor);
  money.set_currency(std::string(currency));
  return money;
}

std::optional<v1::Money> add(const v1::Money& a, const v1::Money& b) {
  if (a.currency() != b.currency()) return std::nullopt;
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a.amount_minor(), b.amount_minor(), &sum) || !in_range(sum)) return std::nullopt;
  return make_money(sum, a.currency());
}

std::optional<v1::Money> multiply(const v1::Money& m, std::int64_t factor) {
  // Quantities are never negative; a negative factor is a bug upstream, not a credit note.
  if (factor < 0) return std::nullopt;
  std::int64_t product = 0;
  if (__builtin_mul_overflow(m.amount_minor(), factor, &product) || !in_range(product)) return std::nullopt;
  return make_money(product, m.currency());
}

bool operator==(const v1::Money& a, const v1::Money& b) {
  return a.amount_minor() == b.amount_minor() && a.currency() == b.currency();
}

}  // namespace orderline::domain
