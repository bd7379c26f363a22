// Money arithmetic: integer minor units, one currency at a time, no silent overflow.
#include <gtest/gtest.h>

#include <limits>

#include "domain/money.h"

namespace orderline::domain {
namespace {

constexpr auto kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr auto kInt64Min = std::numeric_limits<std::int64_t>::min();

TEST(MoneyTest, KnowsTheListedCurrencies) {
  for (const char* code : {"EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "NZD",
                           "CNY", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW"}) {
    EXPECT_TRUE(is_known_currency(code)) << code;
  }
}

TEST(MoneyTest, RefusesUnknownOrMalformedCurrencies) {
  for (const char* code : {"", "eur", "EU", "EURO", "XXX", "EUO", " EUR", "EUR "}) {
    EXPECT_FALSE(is_known_currency(code)) << '"' << code << '"';
  }
}

TEST(MoneyTest, MakeMoneyCarriesAmountAndCurrency) {
  auto m = make_money(1999, "EUR");
  EXPECT_EQ(m.amount_minor(), 1999);
  EXPECT_EQ(m.currency(), "EUR");
}

TEST(MoneyTest, EqualityComparesAmountAndCurrency) {
  EXPECT_TRUE(make_money(100, "EUR") == make_money(100, "EUR"));
  EXPECT_FALSE(make_money(100, "EUR") == make_money(101, "EUR"));
  EXPECT_FALSE(make_money(100, "EUR") == make_money(100, "USD"));
}

TEST(MoneyTest, AddsSameCurrency) {
  auto sum = add(make_money(150, "EUR"), make_money(250, "EUR"));
  ASSERT_TRUE(sum);
  EXPECT_TRUE(*sum == make_money(400, "EUR"));
  auto with_negative = add(make_money(150, "EUR"), make_money(-250, "EUR"));
  ASSERT_TRUE(with_negative);
  EXPECT_EQ(with_negative->amount_minor(), -100);
}

TEST(MoneyTest, AddRefusesMixedCurrencies) {
  EXPECT_FALSE(add(make_money(1, "EUR"), make_money(1, "USD")));
  EXPECT_FALSE(add(make_money(1, "EUR"), make_money(1, "")));
}

TEST(MoneyTest, AddAcceptsTheLimitAndRefusesBeyondIt) {
  auto at_limit = add(make_money(kMaxAmountMinor - 1, "EUR"), make_money(1, "EUR"));
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->amount_minor(), kMaxAmountMinor);
  EXPECT_FALSE(add(make_money(kMaxAmountMinor, "EUR"), make_money(1, "EUR")));
  EXPECT_FALSE(add(make_money(-kMaxAmountMinor, "EUR"), make_money(-1, "EUR")));
}

TEST(MoneyTest, AddRefusesInt64Overflow) {
  EXPECT_FALSE(add(make_money(kInt64Max, "EUR"), make_money(1, "EUR")));
  EXPECT_FALSE(add(make_money(kInt64Min, "EUR"), make_money(-1, "EUR")));
}

TEST(MoneyTest, Multiplies) {
  auto product = multiply(make_money(1999, "EUR"), 3);
  ASSERT_TRUE(product);
  EXPECT_TRUE(*product == make_money(5997, "EUR"));
  auto zero = multiply(make_money(1999, "EUR"), 0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->amount_minor(), 0);
  EXPECT_EQ(zero->currency(), "EUR");
}

TEST(MoneyTest, MultiplyRefusesNegativeFactor) { EXPECT_FALSE(multiply(make_money(10, "EUR"), -1)); }

TEST(MoneyTest, MultiplyAcceptsTheLimitAndRefusesBeyondIt) {
  auto at_limit = multiply(make_money(kMaxAmountMinor / 1000, "EUR"), 1000);
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->amount_minor(), kMaxAmountMinor);
  EXPECT_FALSE(multiply(make_money(kMaxAmountMinor / 1000 + 1, "EUR"), 1000));
}

TEST(MoneyTest, MultiplyRefusesInt64Overflow) {
  EXPECT_FALSE(multiply(make_money(kInt64Max / 2 + 1, "EUR"), 2));
  EXPECT_FALSE(multiply(make_money(kMaxAmountMinor, "EUR"), kInt64Max));
}

}  // namespace
}  // namespace orderline::domain
