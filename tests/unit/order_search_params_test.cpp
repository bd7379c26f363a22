// Parsing the staff search's query string, its cursors, RFC 3339 times, and CSV fields.
#include <gtest/gtest.h>

#include "gateway/csv.h"
#include "gateway/order_search_params.h"

namespace orderline::gateway {
namespace {

using projections::OrderSort;

Request with_query(std::vector<std::pair<std::string, std::string>> query) {
  Request r;
  r.method = "GET";
  r.path = "/api/v1/admin/orders";
  r.query = std::move(query);
  return r;
}

std::vector<std::string> fields(const ParsedOrderSearch& parsed) {
  std::vector<std::string> out;
  for (const auto& e : parsed.errors) out.push_back(e.field);
  return out;
}

TEST(Rfc3339, ParsesDatesTimesFractionsAndOffsets) {
  EXPECT_EQ(parse_rfc3339_micros("1970-01-01"), 0);
  EXPECT_EQ(parse_rfc3339_micros("1970-01-02"), 86'400'000'000LL);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-29T10:15:30Z"), 1'795'947'330'000'000LL);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-29T10:15:30.5Z"), 1'795'947'330'500'000LL);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-29T10:15:30.1234567Z"), 1'795'947'330'123'456LL);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-29T11:15:30+01:00"), 1'795'947'330'000'000LL);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-29T09:15:30-01:00"), 1'795'947'330'000'000LL);
  EXPECT_EQ(parse_rfc3339_micros("2024-02-29"), 1'709'164'800'000'000LL);
}

TEST(Rfc3339, RefusesWhatIsNotARealTime) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2025-02-29", "2026-11-31", "2026-11-29T24:00:00Z",
                          "2026-11-29T10:60:00Z", "2026-11-29T10:15:30", "2026-11-29T10:15:30.Z",
                          "2026-11-29T10:15:30+1:00", "2026-11-29 10:15:30Z", "+2026-11-29", "2026-1-29"}) {
    EXPECT_FALSE(parse_rfc3339_micros(bad).has_value()) << bad;
  }
}

TEST(OrderSearchParams, DefaultsAndEveryFilter) {
  auto empty = parse_order_search(with_query({}), 50, 200);
  EXPECT_TRUE(empty.errors.empty());
  EXPECT_EQ(empty.query.limit, 50u);
  EXPECT_EQ(empty.query.sort, OrderSort::created_desc);
  EXPECT_FALSE(empty.query.status || empty.query.customer_id || empty.query.after);

  auto full = parse_order_search(with_query({{"status", "confirmed"},
                                             {"customer_id", "c-1"},
                                             {"currency", "EUR"},
                                             {"created_from", "2026-01-01"},
                                             {"created_to", "2026-02-01T00:00:00Z"},
                                             {"min_total", "1000"},
                                             {"sort", "-total"},
                                             {"limit", "200"}}),
                                 50, 200);
  ASSERT_TRUE(full.errors.empty()) << fields(full).front();
  EXPECT_EQ(full.query.status, "confirmed");
  EXPECT_EQ(full.query.customer_id, "c-1");
  EXPECT_EQ(full.query.currency, "EUR");
  EXPECT_EQ(full.query.created_from_us, parse_rfc3339_micros("2026-01-01"));
  EXPECT_EQ(full.query.min_total_minor, 1000);
  EXPECT_EQ(full.query.sort, OrderSort::total_desc);
  EXPECT_EQ(full.query.limit, 200u);
}

TEST(OrderSearchParams, ReportsEveryBadParameterAtOnce) {
  auto bad = parse_order_search(with_query({{"status", "lost"},
                                            {"customer_id", ""},
                                            {"currency", "eur"},
                                            {"created_from", "2026-02-01"},
                                            {"created_to", "2026-01-01"},
                                            {"min_total", "-5"},
                                            {"sort", "price"},
                                            {"limit", "201"},
                                            {"page", "2"}}),
                                50, 200);
  EXPECT_EQ(fields(bad), (std::vector<std::string>{"page", "status", "customer_id", "currency", "created_to",
                                                   "min_total", "sort", "limit"}));
  EXPECT_EQ(fields(parse_order_search(with_query({{"limit", "0"}}), 50, 200)), std::vector<std::string>{"limit"});
  EXPECT_EQ(fields(parse_order_search(with_query({{"limit", "9999999999999999999999"}}), 50, 200)),
            std::vector<std::string>{"limit"});
  EXPECT_TRUE(parse_order_search(with_query({{"limit", "10000"}}), 10'000, 10'000).errors.empty());
}

TEST(OrderSearchParams, CursorsRoundTripAndAreBoundToTheirSort) {
  projections::OrderSearchCursor cursor{OrderSort::total_asc, -42, "order\nwith,odd id"};
  const auto text = projections::encode_order_cursor(cursor);
  auto decoded = projections::decode_order_cursor(text);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->sort, OrderSort::total_asc);
  EXPECT_EQ(decoded->key, -42);
  EXPECT_EQ(decoded->order_id, "order\nwith,odd id");

  EXPECT_TRUE(parse_order_search(with_query({{"sort", "total"}, {"cursor", text}}), 50, 200).errors.empty());
  EXPECT_EQ(fields(parse_order_search(with_query({{"cursor", text}}), 50, 200)), std::vector<std::string>{"cursor"});
  for (const char* bad : {"", "!!", "AAAA", "czEKdG90YWwKeAp5"}) {
    EXPECT_FALSE(projections::decode_order_cursor(bad).has_value()) << bad;
  }
}

TEST(Csv, QuotesWhatNeedsQuotingAndDefusesFormulas) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_row({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

}  // namespace
}  // namespace orderline::gateway
