// `orderctl import superstore` against the real orderd (saga on): the committed sample
// (38 lines, 18 orders) lands as customers, products and completed historical orders with
// their own dates; a second import creates nothing; the saga and the stock stay out of it;
// bad input gets a clear error and imports nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gateway/import_batch.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

namespace json = boost::json;

const std::string kSample = ORDERLINE_SOURCE_DIR "/tests/fixtures/superstore_sample.csv";

class ImportSuperstore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    server_ = new testing::OrderdProcess(dir_->path() + "/data");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    http_ = std::make_unique<testing::HttpClient>(server_->port());
    http_->set_default_headers(testing::admin_bearer());
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // Runs `orderctl import superstore PATH`; its stdout and stderr, and the exit status.
  static std::string import(const std::string& path, int& status) {
    return testing::run_command({"/bin/sh", "-c",
                                 std::string(ORDERCTL_PATH) + " import superstore '" + path + "' --url " + url() +
                                     " --token " + testing::OrderdProcess::kAdminToken + " 2>&1"},
                                &status);
  }

  // Every event in the log (read beside the server, as a RocksDB secondary).
  static std::size_t events_in_log() {
    int status = -1;
    const auto out = testing::run_command({ORDERCTL_PATH, "events", "dump", "--data-dir", dir_->path() + "/data"}, &status);
    EXPECT_EQ(status, 0);
    return static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n'));
  }

  static testing::TempDir* dir_;
  static testing::OrderdProcess* server_;
  std::unique_ptr<testing::HttpClient> http_;
};

testing::TempDir* ImportSuperstore::dir_ = nullptr;
testing::OrderdProcess* ImportSuperstore::server_ = nullptr;

TEST_F(ImportSuperstore, ImportsOnceReadsBackAsHistoryAndTheSecondRunCreatesNothing) {
  int status = -1;
  auto out = import(kSample, status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("customers      16 created       0 already present     0 rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("products       36 created       0 already present     0 rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("orders         18 created       0 already present     0 rejected"), std::string::npos) << out;
  const auto events = events_in_log();
  // 16 CustomerRegistered + 36 ProductCreated + 18 orders x (placed, paid, shipped, delivered),
  // beside whatever the server made at start (demo catalogue).
  EXPECT_GE(events, 16U + 36U + 18U * 4U);

  // The first order of the file: its events, from the log (the saga never touched it).
  const auto order_id = gateway::imported_order_id("superstore", "CA-2016-152156");
  auto r = http_->get("/api/v1/orders/" + order_id + "/events");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto items = r.json().at("items").as_array();
  ASSERT_EQ(items.size(), 4U) << r.body;
  const char* types[] = {"OrderPlaced", "OrderPaid", "OrderShipped", "OrderDelivered"};
  const char* times[] = {"2016-11-08T12:00:00", "2016-11-08T12:00:00", "2016-11-11T12:00:00", "2016-11-11T12:00:00"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(items[i].at("type"), types[i]);
    EXPECT_EQ(items[i].at("stream_version"), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(std::string(items[i].at("occurred_at").as_string()).substr(0, 19), times[i]);
  }
  const auto& placed = items[0].at("data");
  EXPECT_EQ(placed.at("imported"), true);
  EXPECT_EQ(placed.at("saga"), false);
  const std::string position(items[3].at("position").as_string());

  // The read model: final state, original date and prices.
  r = http_->get("/api/v1/orders/" + order_id + "?after=" + position);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto order = r.json();
  EXPECT_EQ(order.at("status"), "completed");
  EXPECT_EQ(order.at("payment_status"), "captured");
  EXPECT_EQ(order.at("fulfillment_status"), "delivered");
  EXPECT_EQ(std::string(order.at("created_at").as_string()).substr(0, 19), "2016-11-08T12:00:00");
  const auto& lines = order.at("lines").as_array();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].at("sku"), "FUR-BO-10001798");
  EXPECT_EQ(lines[0].at("quantity"), 2);
  EXPECT_EQ(lines[0].at("unit_price").at("amount_minor"), 13098);  // 261.96 / 2
  EXPECT_EQ(lines[1].at("unit_price").at("amount_minor"), 24398);  // 731.94 / 3
  EXPECT_EQ(order.at("total").at("amount_minor"), 26196 + 73194);
  const std::string customer_id(order.at("customer_id").as_string());
  EXPECT_EQ(customer_id, gateway::imported_customer_id("superstore", "CG-12520"));

  // The customer, with the name sealed in the log and readable through the API.
  r = http_->get("/api/v1/customers/" + customer_id);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("name"), "Claire Gute");
  // No stock effect: the product keeps the stock it was created with.
  r = http_->get("/api/v1/products/FUR-BO-10001798?after=" + position);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("available"), 100);
  // The customer's history lists the imported orders (CG-12520 has 3 in the sample).
  r = http_->get("/api/v1/customers/" + customer_id + "/orders?after=" + position);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("items").as_array().size(), 3U);

  // Again: nothing new.
  out = import(kSample, status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("customers       0 created      16 already present     0 rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("products        0 created      36 already present     0 rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("orders          0 created      18 already present     0 rejected"), std::string::npos) << out;
  EXPECT_EQ(events_in_log(), events);
  r = http_->get("/api/v1/orders/" + order_id + "/events");
  EXPECT_EQ(r.json().at("items").as_array().size(), 4U);
}

TEST_F(ImportSuperstore, AMalformedFileImportsNothing) {
  std::ifstream in(kSample);
  std::stringstream text;
  text << in.rdbuf();
  std::string csv = text.str();
  csv.replace(csv.find("2016-11-08"), 10, "2016-13-08");  // row 1's order date
  const std::string path = dir_->path() + "/bad.csv";
  std::ofstream(path) << csv;
  const auto before = events_in_log();
  int status = -1;
  const auto out = import(path, status);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("bad.csv: row 1, column \"Order Date\": not a date"), std::string::npos) << out;
  EXPECT_EQ(events_in_log(), before);
  EXPECT_NE(import(dir_->path() + "/missing.csv", status).find("missing.csv"), std::string::npos);
  EXPECT_NE(status, 0);
}

TEST_F(ImportSuperstore, TheRouteAnswersBadBatchesWithProblems) {
  const std::string route = "/api/v1/admin/import/orders";
  // Shapes: a problem+json naming each bad field.
  auto r = http_->post(route, R"({"source": "Bad Source!", "orders": [{"key": "", "lines": 3}]})");
  EXPECT_EQ(r.status, 400U) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(r.json().at("code"), "validation_failed");
  std::set<std::string> fields;
  const auto problem = r.json();
  for (const auto& e : problem.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
  for (const char* f : {"source", "orders[0].key", "orders[0].customer_key", "orders[0].placed_at", "orders[0].lines"}) {
    EXPECT_TRUE(fields.count(f)) << f << " in " << r.body;
  }
  r = http_->post(route, "[1, 2");
  EXPECT_EQ(r.status, 400U) << r.body;
  // Business rules: the batch is decided item by item; the rejected are listed.
  r = http_->post(route, R"({"source": "e2e", "customers": [{"key": "K1", "name": "Kim"}, {"key": "K1", "name": "Kim"}],
      "orders": [{"key": "O1", "customer_key": "K1", "currency": "USD", "placed_at": "2015-01-02T12:00:00Z",
                  "shipped_at": "2015-01-01T12:00:00Z", "delivered_at": "2015-01-03T12:00:00Z",
                  "lines": [{"sku": "FUR-BO-10001798", "quantity": 1, "unit_price": {"amount_minor": 100, "currency": "USD"}}]},
                 {"key": "O2", "customer_key": "K1", "currency": "USD", "placed_at": "2015-01-02T12:00:00Z",
                  "shipped_at": "2015-01-02T12:00:00Z", "delivered_at": "2015-01-03T12:00:00Z",
                  "lines": [{"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price": {"amount_minor": 100, "currency": "USD"}}]}]})");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto answer = r.json();
  EXPECT_EQ(answer.at("customers").at("created"), 1);
  EXPECT_EQ(answer.at("customers").at("already_present"), 1);  // the same key twice is one customer
  EXPECT_EQ(answer.at("orders").at("rejected"), 2);
  std::map<std::string, json::object> rejected;  // by key: replies come in any order
  for (const auto& item : answer.at("rejections").as_array()) {
    rejected[std::string(item.at("key").as_string())] = item.as_object();
  }
  ASSERT_EQ(rejected.size(), 2U) << r.body;
  EXPECT_EQ(rejected["O1"].at("code"), "validation_failed");
  EXPECT_EQ(rejected["O1"].at("field"), "shipped_at");
  EXPECT_EQ(rejected["O2"].at("code"), "unknown_sku");
  EXPECT_EQ(rejected["O2"].at("field"), "lines[0].sku");
  // Too big: 413; not an admin: 403; no token: 401.
  r = http_->post(route, R"({"source": "e2e", "customers": [{"key": "K", "name": ")" + std::string(70'000, 'x') + "\"}]}");
  EXPECT_EQ(r.status, 413U);
  auto staff = testing::staff_login(*http_, "importer@example.com", "staff,ops");
  r = http_->post(route, R"({"source": "e2e"})", testing::bearer(staff.access_token));
  EXPECT_EQ(r.status, 403U) << r.body;
  testing::HttpClient anonymous(server_->port());
  EXPECT_EQ(anonymous.post(route, R"({"source": "e2e"})").status, 401U);
}

}  // namespace
}  // namespace orderline
