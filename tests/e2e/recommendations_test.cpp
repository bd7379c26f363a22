// The recommendation routes through a running `orderd serve`: bought-together and a
// customer's recommendations follow the orders placed and cancelled through the API, with
// their reasons and never an item the customer holds; the limit is validated, an unknown SKU
// is 404, and another customer's recommendations are 404 as their orders are.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;

class RecommendationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // Without the saga, so no simulated payment declines cancel an order behind the test.
    server_ = new testing::OrderdProcess(dir_->path() + "/data", {"--no-saga"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { http_ = std::make_unique<testing::HttpClient>(server_->port()); }

  // Places an order as the customer; returns (order id, position).
  std::pair<std::string, std::string> place(const testing::Login& who, const std::vector<std::string>& skus) {
    json::array lines;
    for (const auto& sku : skus) lines.push_back(json::object{{"sku", sku}, {"quantity", 1}});
    auto r = http_->post("/api/v1/orders", json::serialize(json::object{{"currency", "EUR"}, {"lines", lines}}),
                         testing::bearer(who.access_token));
    EXPECT_EQ(r.status, 201u) << r.body;
    return {std::string(r.json().at("order_id").as_string()), std::string(r.json().at("position").as_string())};
  }

  // (sku, reason) of every item of an answer.
  static std::vector<std::pair<std::string, std::string>> items(const testing::HttpResponse& r) {
    std::vector<std::pair<std::string, std::string>> out;
    const json::value body = r.json();
    if (!body.is_object() || !body.as_object().contains("items")) {
      ADD_FAILURE() << "no items in " << r.status << " " << r.body;
      return out;
    }
    for (const auto& item : body.at("items").as_array()) {
      EXPECT_TRUE(item.as_object().contains("name"));
      EXPECT_TRUE(item.at("score").is_number());
      out.emplace_back(std::string(item.at("sku").as_string()), std::string(item.at("reason").as_string()));
    }
    return out;
  }

  static testing::TempDir* dir_;
  static testing::OrderdProcess* server_;
  std::unique_ptr<testing::HttpClient> http_;
};

testing::TempDir* RecommendationsTest::dir_ = nullptr;
testing::OrderdProcess* RecommendationsTest::server_ = nullptr;

TEST_F(RecommendationsTest, RelatedAndPersonalRecommendationsFollowTheOrders) {
  const auto ada = testing::register_and_login(*http_, "ada-recs@example.com", "Ada");
  const auto bob = testing::register_and_login(*http_, "bob-recs@example.com", "Bob");
  const auto cyd = testing::register_and_login(*http_, "cyd-recs@example.com", "Cyd");
  const auto ada_order = place(ada, {"COFFEE-1KG", "GRINDER-HAND"});
  place(bob, {"COFFEE-1KG", "FILTER-PAPER-100"});
  const auto last = place(bob, {"MUG-CLASSIC"});
  const std::string after = "after=" + last.second;

  // Bought together: public, never the product itself, the co-purchased ones first.
  auto related = http_->get("/api/v1/products/COFFEE-1KG/related?limit=3&" + after);
  ASSERT_EQ(related.status, 200u) << related.body;
  auto found = items(related);
  ASSERT_EQ(found.size(), 3u) << related.body;
  EXPECT_EQ(found[0].second, "bought together with House blend coffee beans, 1 kg");
  EXPECT_EQ(found[1].second, "bought together with House blend coffee beans, 1 kg");
  EXPECT_EQ((std::set<std::string>{found[0].first, found[1].first}),
            (std::set<std::string>{"GRINDER-HAND", "FILTER-PAPER-100"}));
  EXPECT_EQ(found[2], (std::pair<std::string, std::string>{"MUG-CLASSIC", "popular"}));
  EXPECT_TRUE(related.json().at("next_cursor").is_null());

  // Ada's own: the filter because she bought coffee; nothing she bought; then popular.
  auto mine = http_->get("/api/v1/customers/" + ada.customer_id + "/recommendations?" + after,
                         testing::bearer(ada.access_token));
  ASSERT_EQ(mine.status, 200u) << mine.body;
  auto ada_items = items(mine);
  ASSERT_EQ(ada_items.size(), 2u) << mine.body;  // TEA-GREEN-250 was never ordered: no signal at all
  EXPECT_EQ(ada_items[0], (std::pair<std::string, std::string>{"FILTER-PAPER-100",
                                                               "because you bought House blend coffee beans, 1 kg"}));
  EXPECT_EQ(ada_items[1], (std::pair<std::string, std::string>{"MUG-CLASSIC", "popular"}));

  // Staff may look; another customer may not, and learns nothing (404, as for orders).
  auto staff = testing::staff_login(*http_, "staff-recs@example.com", "staff");
  EXPECT_EQ(http_->get("/api/v1/customers/" + ada.customer_id + "/recommendations", testing::bearer(staff.access_token))
                .status,
            200u);
  auto other = http_->get("/api/v1/customers/" + ada.customer_id + "/recommendations", testing::bearer(bob.access_token));
  EXPECT_EQ(other.status, 404u) << other.body;
  EXPECT_EQ(other.code(), "not_found");
  EXPECT_EQ(http_->get("/api/v1/customers/" + ada.customer_id + "/recommendations").status, 401u);

  // Cold start: a customer without orders gets what is popular.
  auto cold = http_->get("/api/v1/customers/" + cyd.customer_id + "/recommendations?limit=2&" + after,
                         testing::bearer(cyd.access_token));
  ASSERT_EQ(cold.status, 200u) << cold.body;
  auto cold_items = items(cold);
  ASSERT_EQ(cold_items.size(), 2u);
  EXPECT_EQ(cold_items[0], (std::pair<std::string, std::string>{"COFFEE-1KG", "popular"}));
  EXPECT_EQ(cold_items[1].second, "popular");

  // Ada cancels: her order no longer counts, for her or for the coffee.
  auto cancel = http_->post("/api/v1/orders/" + ada_order.first + "/cancel", "", testing::bearer(ada.access_token));
  ASSERT_EQ(cancel.status, 200u) << cancel.body;
  const std::string after_cancel = "after=" + std::string(cancel.json().at("position").as_string());
  auto related_after = items(http_->get("/api/v1/products/COFFEE-1KG/related?limit=1&" + after_cancel));
  ASSERT_EQ(related_after.size(), 1u);
  EXPECT_EQ(related_after[0].first, "FILTER-PAPER-100");
  auto cold_ada = items(http_->get("/api/v1/customers/" + ada.customer_id + "/recommendations?" + after_cancel,
                                   testing::bearer(ada.access_token)));
  ASSERT_FALSE(cold_ada.empty());
  for (const auto& [sku, reason] : cold_ada) EXPECT_EQ(reason, "popular") << sku;
}

TEST_F(RecommendationsTest, BadLimitsAndUnknownIdsAreClearProblems) {
  for (const char* limit : {"0", "101", "-1", "ten", "", "5x"}) {
    auto r = http_->get(std::string("/api/v1/products/COFFEE-1KG/related?limit=") + limit);
    EXPECT_EQ(r.status, 400u) << limit << ": " << r.body;
    EXPECT_EQ(r.code(), "validation_failed") << limit;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    ASSERT_TRUE(r.json().at("errors").is_array()) << r.body;
    EXPECT_EQ(r.json().at("errors").as_array().at(0).at("field").as_string(), "limit");
  }
  EXPECT_EQ(http_->get("/api/v1/products/COFFEE-1KG/related?limit=100").status, 200u);
  auto unknown = http_->get("/api/v1/products/NO-SUCH-SKU/related");
  EXPECT_EQ(unknown.status, 404u) << unknown.body;
  EXPECT_EQ(unknown.code(), "not_found");

  auto staff = testing::staff_login(*http_, "staff-limits@example.com", "staff");
  auto bad = http_->get("/api/v1/customers/x/recommendations?limit=1000", testing::bearer(staff.access_token));
  EXPECT_EQ(bad.status, 400u) << bad.body;
  auto nobody = http_->get("/api/v1/customers/no-such-customer/recommendations", testing::bearer(staff.access_token));
  EXPECT_EQ(nobody.status, 404u) << nobody.body;
}

}  // namespace
}  // namespace orderline
