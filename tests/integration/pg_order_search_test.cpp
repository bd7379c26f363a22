// Staff order search against a real PostgreSQL: filters, every sort, keyset pages that
// together return each matching order exactly once (ties on the sort key included), hostile
// values bound as parameters, the worker service answering and failing cleanly, and the HTTP
// routes (JSON and CSV) of `orderd serve --pg`.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "projections/postgres/postgres_order_search.h"
#include "projections/postgres/postgres_projector.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_fixture.h"

namespace orderline::testing {
namespace {

using projections::OrderSearchQuery;
using projections::OrderSort;
using projections::pg::run_order_search;

constexpr std::int64_t kTie = 1'765'000'000'000'000;  // business time shared by the tie orders

class OrderSearchTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    run_workload(0, 40);
    // Five orders placed at the same microsecond with the same total: only the order id
    // tells them apart, so pages must break ties by it.
    for (int i = 0; i < 5; ++i) run(place_order("tie" + std::to_string(i), "cust-tie", {{"SKU-1", 2}}), kTie);
    projections::pg::PostgresProjector projector(log_, {.dsn = db_->dsn()});
    ASSERT_TRUE(projector.catch_up().ok);
    connection_ = std::make_unique<pqxx::connection>(db_->dsn());
  }

  // Every order id the query matches, walking its pages with `page_size`.
  std::vector<std::string> walk(OrderSearchQuery query, std::size_t page_size, int* pages = nullptr) {
    query.limit = page_size;
    std::vector<std::string> ids;
    for (int page_no = 1;; ++page_no) {
      auto page = run_order_search(*connection_, query);
      EXPECT_LE(page.rows.size(), page_size);
      for (const auto& row : page.rows) ids.push_back(row.order_id);
      if (pages) *pages = page_no;
      if (!page.next_cursor) break;
      EXPECT_EQ(page.rows.size(), page_size) << "only a full page may have a next page";
      query.after = projections::decode_order_cursor(*page.next_cursor);
      EXPECT_TRUE(query.after.has_value());
      if (page_no > 1000) {
        ADD_FAILURE() << "pagination does not end";
        break;
      }
    }
    return ids;
  }

  // The same question asked with plain SQL, as the oracle.
  std::vector<std::string> expected(const std::string& where, const std::string& order_by) {
    return query_rows(db_->dsn(), "SELECT order_id FROM orderline.orders WHERE " + where + " ORDER BY " + order_by);
  }

  std::unique_ptr<pqxx::connection> connection_;
};

TEST_F(OrderSearchTest, EverySortPagesThroughEveryOrderExactlyOnceInOrder) {
  const std::vector<std::pair<OrderSort, std::string>> sorts = {
      {OrderSort::created_desc, "created_at DESC, order_id DESC"},
      {OrderSort::created_asc, "created_at, order_id"},
      {OrderSort::total_desc, "total_minor DESC, order_id DESC"},
      {OrderSort::total_asc, "total_minor, order_id"},
  };
  const auto all = expected("true", "order_id");
  ASSERT_EQ(all.size(), 45u);
  for (const auto& [sort, order_by] : sorts) {
    for (std::size_t page_size : {1u, 3u, 7u, 45u, 200u}) {
      OrderSearchQuery query;
      query.sort = sort;
      int pages = 0;
      const auto ids = walk(query, page_size, &pages);
      EXPECT_EQ(ids, expected("true", order_by)) << order_by << " page size " << page_size;
      EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "a row came twice";
      EXPECT_EQ(pages, static_cast<int>((45 + page_size - 1) / page_size)) << order_by << " page size " << page_size;
    }
  }
}

TEST_F(OrderSearchTest, FiltersCombineLikeTheirSql) {
  OrderSearchQuery query;
  query.status = "cancelled";
  EXPECT_EQ(walk(query, 4), expected("status = 'cancelled'", "created_at DESC, order_id DESC"));

  query = {};
  query.customer_id = "cust-3";
  query.min_total_minor = 4000;
  query.currency = "EUR";
  EXPECT_EQ(walk(query, 2),
            expected("customer_id = 'cust-3' AND total_minor >= 4000 AND currency = 'EUR'",
                     "created_at DESC, order_id DESC"));

  query = {};
  query.created_from_us = kTie;        // inclusive
  query.created_to_us = kTie + 1;      // exclusive
  query.sort = OrderSort::created_asc;
  EXPECT_EQ(walk(query, 2), (std::vector<std::string>{"tie0", "tie1", "tie2", "tie3", "tie4"}));

  query = {};
  query.created_from_us = 1'764'000'000'000'000 + 10 * 7 * 3'600'000'000LL;
  query.created_to_us = 1'764'000'000'000'000 + 20 * 7 * 3'600'000'000LL;
  const auto window = walk(query, 3);
  EXPECT_EQ(window.size(), 10u);
  EXPECT_EQ(window, expected("created_at >= to_timestamp(1764000000 + 10*7*3600) AND "
                             "created_at < to_timestamp(1764000000 + 20*7*3600)",
                             "created_at DESC, order_id DESC"));
}

TEST_F(OrderSearchTest, HostileValuesAreDataNotSql) {
  OrderSearchQuery query;
  query.customer_id = "x' OR '1'='1";
  EXPECT_TRUE(run_order_search(*connection_, query).rows.empty());
  query.customer_id = "cust-tie\"; DROP TABLE orderline_v1.orders; --";
  EXPECT_TRUE(run_order_search(*connection_, query).rows.empty());
  query = {};
  query.after = projections::OrderSearchCursor{OrderSort::created_desc, kTie, "tie3' --"};
  EXPECT_FALSE(run_order_search(*connection_, query).rows.empty());
  EXPECT_EQ(query_value(db_->dsn(), "SELECT count(*) FROM orderline.orders"), "45");
}

TEST_F(OrderSearchTest, TheServiceAnswersOffTheCallersThreadAndReportsAnUnreachableDatabase) {
  auto ask = [](projections::OrderSearch& search, OrderSearchQuery query) {
    std::promise<projections::OrderSearchResult> answer;
    EXPECT_TRUE(search.submit(std::move(query), [&answer](auto result) { answer.set_value(std::move(result)); }));
    auto future = answer.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    return future.get();
  };
  projections::pg::PostgresOrderSearch search({.dsn = db_->dsn()});
  OrderSearchQuery query;
  query.customer_id = "cust-tie";
  const auto found = ask(search, query);
  ASSERT_EQ(found.status, projections::OrderSearchResult::Status::ok) << found.error;
  EXPECT_EQ(found.page.rows.size(), 5u);

  // Nothing listens on port 1 of loopback: the answer is "unavailable" with the reason.
  projections::pg::PostgresOrderSearch nowhere({.dsn = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"});
  const auto failed = ask(nowhere, query);
  EXPECT_EQ(failed.status, projections::OrderSearchResult::Status::unavailable);
  EXPECT_FALSE(failed.error.empty());
}

TEST_F(OrderSearchTest, TheHttpRoutesServeJsonPagesAndCsv) {
  // A database of its own: the fixture's holds checkpoints of another log.
  TestDatabase db(server_);
  TempDir data;
  OrderdProcess orderd(data.path() + "/data", {"--pg", db.dsn()});
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());
  const HeaderList staff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};

  auto customer = client.post("/api/v1/customers", R"({"email": "s@example.com", "name": "Sam Search"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  for (int i = 0; i < 3; ++i) {
    auto placed = client.post("/api/v1/orders",
                              R"({"customer_id": ")" + customer_id +
                                  R"(", "currency": "EUR", "lines": [{"sku": "COFFEE-1KG", "quantity": )" +
                                  std::to_string(i + 1) + "}]}",
                              {{"Idempotency-Key", "search-" + std::to_string(i)}});
    ASSERT_EQ(placed.status, 201u) << placed.body;
  }
  // The PostgreSQL projector folds asynchronously: wait (bounded) for the three orders.
  const std::string by_customer = "/api/v1/admin/orders?customer_id=" + customer_id;
  HttpResponse page;
  for (int i = 0; i < 2400; ++i) {
    page = client.get(by_customer, staff);
    if (page.status == 200 && page.json().at("items").as_array().size() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(page.status, 200u) << page.body;
  ASSERT_EQ(page.json().at("items").as_array().size(), 3u) << page.body;
  const auto body = page.json();
  const auto& newest = body.at("items").as_array().at(0).as_object();
  EXPECT_EQ(newest.at("total").at("amount_minor").as_int64(), 3 * 1999);
  // The saga confirms orders by itself; PostgreSQL shows them placed or already confirmed.
  const std::string status(newest.at("status").as_string());
  EXPECT_TRUE(status == "placed" || status == "confirmed") << status;

  auto first = client.get(by_customer + "&sort=total&limit=2", staff);
  ASSERT_EQ(first.status, 200u) << first.body;
  ASSERT_TRUE(first.json().at("next_cursor").is_string());
  const auto link = first.header("link");
  EXPECT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  auto second = client.get(link.substr(1, link.find('>') - 1), staff);
  ASSERT_EQ(second.status, 200u) << second.body;
  ASSERT_EQ(second.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(second.json().at("items").as_array().at(0).at("total").at("amount_minor").as_int64(), 3 * 1999);
  EXPECT_TRUE(second.json().at("next_cursor").is_null());

  auto csv = client.get("/api/v1/admin/orders/export?sort=total&customer_id=" + customer_id, staff);
  ASSERT_EQ(csv.status, 200u) << csv.body;
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("order_id,customer_id,status,payment_status,fulfillment_status,currency,total_minor,"
                           "version,created_at,updated_at\r\n", 0), 0u) << csv.body;
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 4);
  EXPECT_NE(csv.body.find(",EUR,1999,"), std::string::npos) << csv.body;

  // Hostile and wrong input: each a problem+json naming the field; staff only.
  auto bad = client.get("/api/v1/admin/orders?status=lost&min_total=-1&created_from=yesterday&limit=0&stauts=x", staff);
  ASSERT_EQ(bad.status, 400u) << bad.body;
  EXPECT_EQ(bad.code(), "validation_failed");
  std::set<std::string> fields;
  const auto problem = bad.json();
  for (const auto& e : problem.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
  EXPECT_EQ(fields, (std::set<std::string>{"status", "min_total", "created_from", "limit", "stauts"}));
  auto foreign_cursor = client.get("/api/v1/admin/orders?sort=-total&cursor=" +
                                       std::string(first.json().at("next_cursor").as_string()), staff);
  EXPECT_EQ(foreign_cursor.status, 400u) << foreign_cursor.body;
  EXPECT_EQ(client.get("/api/v1/admin/orders?cursor=garbage!", staff).status, 400u);
  EXPECT_EQ(client.get("/api/v1/admin/orders", {{"Authorization", ""}}).status, 401u);
  EXPECT_EQ(client.get("/api/v1/admin/orders", {{"Authorization", "Bearer wrong"}}).status, 401u);
  EXPECT_EQ(client.get("/api/v1/admin/orders/export", {{"Authorization", ""}}).status, 401u);
}

TEST(OrderSearchWithoutPostgres, TheRoutesSaySearchNeedsPostgres) {
  TempDir data;
  OrderdProcess orderd(data.path() + "/data");
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());
  auto r = client.get("/api/v1/admin/orders", {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.code(), "search_unavailable");
}

}  // namespace
}  // namespace orderline::testing
