// Online backup of a running orderd while orders keep coming, restored into a new data
// directory and served again: every order acknowledged before the backup started is there,
// the restored log is a prefix of the original's, and every read model (orders, customers'
// orders, catalogue, customers, and their checkpoints) equals a fresh fold of the restored log,
// key for key: nothing applied twice, nothing skipped, nothing ahead of the log.
#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "cli/backup_manifest.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/key_codec.h"
#include "eventstore/embedded/log_reader.h"
#include "eventstore/embedded/merged_cursor.h"
#include "orderline/v1/views.pb.h"
#include "projections/read_model_store.h"
#include "projections/standard_projections.h"
#include "orderline/v1/envelope.pb.h"
#include "tests/support/auth.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline {
namespace {

namespace json = boost::json;
const testing::HeaderList kStaff = {{"Authorization", std::string("Bearer ") + testing::OrderdProcess::kAdminToken}};

struct Run {
  int status = -1;
  std::string out;  // stdout and stderr
};

Run orderctl(const std::vector<std::string>& args) {
  std::string command = ORDERCTL_PATH;
  for (const auto& a : args) command += " '" + a + "'";
  Run run;
  run.out = testing::run_command({"/bin/sh", "-c", command + " 2>&1"}, &run.status);
  return run;
}

std::map<std::string, std::string> all_keys(rocksdb::DB& db) {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace(it->key().ToString(), it->value().ToString());
  return out;
}

// A BatchWriter over a map: the projections' fold without a database.
struct MapWriter final : projections::BatchWriter {
  std::optional<std::string> get(std::string_view key) override {
    auto it = keys.find(std::string(key));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override { keys[std::string(key)] = value; }
  void erase(std::string_view key) override { keys.erase(std::string(key)); }
  std::map<std::string, std::string> keys;
};

// Places orders (paying every other one) until stopped; remembers the acknowledged ones in order.
class Shop {
 public:
  Shop(std::uint16_t port, std::string customer) : port_(port), customer_(std::move(customer)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Shop() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  void wait_for(std::size_t count) {
    while (acknowledged().size() < count && !failed_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_FALSE(failed_) << failure_;
  }

 private:
  void run() {
    testing::HttpClient http(port_);
    http.set_default_headers(testing::admin_bearer());
    for (int i = 0; !stopping_; ++i) {
      const auto sku = i % 3 == 0 ? "MUG-CLASSIC" : "COFFEE-1KG";
      auto r = http.post("/api/v1/orders",
                         R"({"customer_id":")" + customer_ + R"(","currency":"EUR","lines":[{"sku":")" + sku +
                             R"(","quantity":1}]})",
                         {{"Idempotency-Key", "backup-" + std::to_string(i)}});
      if (r.status != 201) {
        failed_ = true;
        failure_ = r.body;
        return;
      }
      const auto id = std::string(r.json().at("order_id").as_string());
      if (i % 2 == 0) http.post("/api/v1/orders/" + id + "/pay", "", {{"If-Match", "1"}});
      std::lock_guard lock(mutex_);
      acknowledged_.push_back(id);
    }
  }

  std::uint16_t port_;
  std::string customer_;
  std::atomic<bool> stopping_{false}, failed_{false};
  std::string failure_;
  std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::thread thread_;
};

TEST(BackupRestore, BackupWhileWritingRestoresConsistentLogAndReadModels) {
  testing::TempDir dir;
  const std::string original = dir.path() + "/original";
  const std::string backup = dir.path() + "/backup";
  const std::string restored = dir.path() + "/restored";
  std::vector<std::string> acknowledged_before;
  {
    // Without the saga: the test compares the restored log with a prefix of the original, and
    // the saga, restarted on the restored engine, would go on appending its next steps (safely:
    // its command ids are deterministic) - and the shop's `pay` is the no-saga flow.
    testing::OrderdProcess orderd(original, {"--no-saga"});
    testing::HttpClient http(orderd.port());
    http.set_default_headers(testing::admin_bearer());
    auto customer = http.post("/api/v1/customers", R"({"email":"b@example.com","name":"Backer"})");
    ASSERT_EQ(customer.status, 201u) << customer.body;
    const auto customer_id = std::string(customer.json().at("customer_id").as_string());
    http.get("/api/v1/customers/" + customer_id + "/orders?after=" +
             std::string(customer.json().at("position").as_string()));
    ASSERT_EQ(http.post("/api/v1/admin/products/MUG-CLASSIC/restock", R"({"quantity":25})", kStaff).status, 200u);

    Shop shop(orderd.port(), customer_id);
    shop.wait_for(40);
    acknowledged_before = shop.acknowledged();
    const auto run = orderctl({"backup", backup, "--url", "http://127.0.0.1:" + std::to_string(orderd.port()),
                               "--admin-token", testing::OrderdProcess::kAdminToken});
    ASSERT_EQ(run.status, 0) << run.out << orderd.output();
    const auto answer = json::parse(run.out);
    EXPECT_EQ(answer.at("dir").as_string(), backup);
    EXPECT_GT(answer.at("events").to_number<std::int64_t>(), 40);
    shop.wait_for(acknowledged_before.size() + 20);  // writes went on during and after it
    shop.stop();
  }  // the original stops

  std::string error;
  const auto manifest = cli::read_backup_manifest(backup, &error);
  ASSERT_TRUE(manifest) << error;

  auto restore = orderctl({"restore", backup, "--data-dir", restored});
  ASSERT_EQ(restore.status, 0) << restore.out;
  EXPECT_NE(restore.out.find("restored " + std::to_string(manifest->events) + " events"), std::string::npos)
      << restore.out;
  {
    // Ready once its read models caught up. Without the saga: it would carry on the orders the
    // backup caught half-way through their saga (legitimately), appending beyond the backup
    // that the comparison below checks record for record.
    testing::OrderdProcess orderd(restored, {"--no-saga"});
    testing::HttpClient http(orderd.port());
    http.set_default_headers(testing::admin_bearer());
    for (const auto& id : acknowledged_before) {
      auto r = http.get("/api/v1/orders/" + id);
      EXPECT_EQ(r.status, 200u) << id << ": " << r.body;
    }
    EXPECT_EQ(http.get("/readyz").status, 200u);
  }

  // The restored log is the original's history up to the backup, record for record.
  eventstore::EmbeddedLog original_log({original + "/log", manifest->partitions});
  eventstore::EmbeddedLog restored_log({restored + "/log", manifest->partitions});
  std::uint64_t total = 0;
  for (std::uint32_t p = 0; p < manifest->partitions; ++p) {
    if (restored_log.end_offset(p) != manifest->log_end[p]) {
      // Say what the restored server appended beyond the backup.
      auto extra = restored_log.read(p, manifest->log_end[p], SIZE_MAX);
      for (const auto& record : extra ? *extra.value : std::vector<eventstore::LogRecord>{}) {
        v1::EventEnvelope envelope;
        envelope.ParseFromString(record.value);
        ADD_FAILURE() << "appended after the restore: " << envelope.stream_id() << " " << envelope.type();
      }
    }
    ASSERT_EQ(restored_log.end_offset(p), manifest->log_end[p]);
    ASSERT_GE(original_log.end_offset(p), manifest->log_end[p]);
    auto mine = restored_log.read(p, 0, SIZE_MAX);
    auto theirs = original_log.read(p, 0, manifest->log_end[p]);
    ASSERT_TRUE(mine && theirs);
    ASSERT_EQ(mine.value->size(), theirs.value->size());
    for (std::size_t i = 0; i < mine.value->size(); ++i) {
      EXPECT_EQ((*mine.value)[i].value, (*theirs.value)[i].value) << p << "/" << i;
      EXPECT_EQ((*mine.value)[i].log_time_us, (*theirs.value)[i].log_time_us);
    }
    total += manifest->log_end[p];
  }
  EXPECT_EQ(total, manifest->events);

  // Every read model the restored server kept equals a fresh fold of the restored log, replayed
  // in log-time order, byte for byte (popularity too: weekly counts, order-independent) (the catalogue is moved by order events of every partition).
  projections::ReadModelStore kept({restored + "/readmodels", manifest->partitions});
  testing::TempDir scratch;
  eventstore::EmbeddedLogReader reader(restored + "/log", scratch.path());
  std::vector<eventstore::MergedCursor::Range> ranges;
  for (std::uint32_t p = 0; p < manifest->partitions; ++p) ranges.push_back({p, 0, manifest->log_end[p]});
  eventstore::MergedCursor merged(reader, ranges);
  MapWriter fold;
  auto projections = projections::standard_projections();
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  while (const auto* record = merged.next()) {
    ASSERT_TRUE(envelope.ParseFromString(record->value) && event.ParseFromString(envelope.payload()));
    for (auto& projection : projections) projection->apply({*record, envelope, event}, fold);
  }
  const auto kept_keys = all_keys(kept.db());
  std::size_t orders = 0, differing = 0, checkpoints = 0;
  for (const auto& [key, value] : fold.keys) {
    orders += key.rfind("o/", 0) == 0;
    auto it = kept_keys.find(key);
    if (it == kept_keys.end() || it->second != value) {
      ++differing;
      ADD_FAILURE() << "read-model key " << ::testing::PrintToString(key)
                    << (it == kept_keys.end() ? " missing after the restore" : " differs from the fold of the log");
    }
  }
  // The kept store has the fold's keys and, besides, one checkpoint per projection and
  // partition, each exactly at the restored log's end.
  for (const auto& [key, value] : kept_keys) {
    if (key.rfind("cp/", 0) == 0) {
      ++checkpoints;
      const auto partition = codec::get_u32(std::string_view(key).substr(key.size() - 4));
      EXPECT_EQ(codec::get_u64(value), manifest->log_end.at(partition)) << ::testing::PrintToString(key);
    } else if (key.rfind("meta/format/", 0) == 0) {
      continue;  // the format each projection was written in (Projection::format()), not a fold's
    } else if (!fold.keys.count(key)) {
      ADD_FAILURE() << "read-model key " << ::testing::PrintToString(key) << " is not in the fold of the log";
    }
  }
  EXPECT_EQ(differing, 0u);
  EXPECT_EQ(checkpoints, projections.size() * manifest->partitions);
  EXPECT_GE(orders, acknowledged_before.size());
  const auto& fresh_keys = fold.keys;
  for (const char* prefix : {"o/", "c/", "p/", "u/"}) {
    EXPECT_TRUE(std::any_of(fresh_keys.begin(), fresh_keys.end(), [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; }))
        << "no " << prefix << " keys: the comparison would prove nothing";
  }
}

// What the log alone cannot give back: the customer keys (sealed personal data), the
// access-token key (tokens issued before the backup), the saga's progress and the payment
// ledger (a restored saga neither authorises a payment again nor re-runs a finished order).
TEST(BackupRestore, RestoresKeysTokensSagaProgressAndPayments) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string customer_id, access_token, order_id;
  std::size_t ledger_lines = 0;
  std::uint64_t order_version = 0;
  {
    testing::OrderdProcess orderd(data);
    testing::HttpClient http(orderd.port());
    auto ada = testing::register_and_login(http, "ada@example.com", "Ada Lovelace");
    customer_id = ada.customer_id;
    access_token = ada.access_token;
    http.set_default_headers(testing::bearer(access_token));
    auto placed = http.post("/api/v1/orders", R"({"currency":"EUR","lines":[{"sku":"MUG-CLASSIC","quantity":1}]})",
                            {{"Idempotency-Key", "restore-saga-1"}});
    ASSERT_EQ(placed.status, 201u) << placed.body;
    order_id = std::string(placed.json().at("order_id").as_string());
    // The saga reserves and takes the payment by itself.
    std::string status;
    const auto position = std::string(placed.json().at("position").as_string());
    for (int i = 0; i < 200 && status != "confirmed"; ++i) {
      // after=: the first read waits for the read model to hold the order (no 404 race).
      auto order = http.get("/api/v1/orders/" + order_id + "?after=" + position);
      ASSERT_EQ(order.status, 200u) << order.body;
      status = std::string(order.json().at("status").as_string());
      order_version = order.json().at("version").to_number<std::uint64_t>();
      if (status != "confirmed") std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(status, "confirmed");
    std::ifstream ledger(data + "/payments.ledger");
    for (std::string line; std::getline(ledger, line);) ++ledger_lines;
    ASSERT_GE(ledger_lines, 1u) << "no payment in the ledger: the test would prove nothing";

    auto made = orderctl({"backup", dir.path() + "/b", "--url", "http://127.0.0.1:" + std::to_string(orderd.port()),
                          "--admin-token", testing::OrderdProcess::kAdminToken});
    ASSERT_EQ(made.status, 0) << made.out;
    std::string error;
    auto manifest = cli::read_backup_manifest(dir.path() + "/b", &error);
    ASSERT_TRUE(manifest) << error;
    for (const char* part : {"readmodels", "saga", "log", "keys", "payments.ledger", "auth/token-secret"}) {
      EXPECT_NE(std::find(manifest->parts.begin(), manifest->parts.end(), part), manifest->parts.end()) << part;
    }
  }

  const std::string restored = dir.path() + "/restored";
  auto restore = orderctl({"restore", dir.path() + "/b", "--data-dir", restored});
  ASSERT_EQ(restore.status, 0) << restore.out;
  testing::OrderdProcess orderd(restored);
  testing::HttpClient http(orderd.port());
  http.set_default_headers(testing::bearer(access_token));  // issued before the backup
  auto ada = http.get("/api/v1/customers/" + customer_id);
  ASSERT_EQ(ada.status, 200u) << ada.body;
  EXPECT_EQ(ada.json().at("name").as_string(), "Ada Lovelace") << ada.body;

  // Give a wrongly restarted saga time to act, then check it did not.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto order = http.get("/api/v1/orders/" + order_id);
  ASSERT_EQ(order.status, 200u) << order.body;
  EXPECT_EQ(order.json().at("status").as_string(), "confirmed");
  EXPECT_EQ(order.json().at("version").to_number<std::uint64_t>(), order_version) << order.body;
  std::size_t restored_lines = 0;
  std::ifstream ledger(restored + "/payments.ledger");
  for (std::string line; std::getline(ledger, line);) ++restored_lines;
  EXPECT_EQ(restored_lines, ledger_lines);

  // A manifest naming something outside its directory is refused.
  auto text = [&] {
    std::ifstream in(dir.path() + "/b/orderline-backup.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  text.replace(text.find("\"keys\""), 6, "\"../x\"");
  std::ofstream(dir.path() + "/b/orderline-backup.json") << text;
  auto refused = orderctl({"restore", dir.path() + "/b", "--data-dir", dir.path() + "/other"});
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("outside the backup"), std::string::npos) << refused.out;
}

TEST(BackupRestore, RefusesWhatWouldLoseOrExposeData) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  testing::OrderdProcess orderd(data);
  const std::string url = "http://127.0.0.1:" + std::to_string(orderd.port());
  testing::HttpClient http(orderd.port());
  http.set_default_headers(testing::admin_bearer());

  // The route: staff only, an absolute new directory outside the data directory.
  EXPECT_EQ(http.post("/api/v1/admin/backup", R"({"dir":"/tmp/x"})", {{"Authorization", ""}}).status, 401u);
  EXPECT_EQ(http.post("/api/v1/admin/backup", R"({"dir":"/tmp/x"})", {{"Authorization", "Bearer nope"}}).status, 401u);
  const std::vector<std::string> bad_bodies = {
      R"({"dir":"relative/path"})", R"({"dir":")" + data + R"(/inside"})", R"({"dir":")" + dir.path() + R"("})",
      R"({"dir":"/no/such/parent/x"})", R"({"dir":""})", R"({"dir":7})", "{}"};
  for (const auto& body : bad_bodies) {
    auto r = http.post("/api/v1/admin/backup", body, kStaff);
    EXPECT_EQ(r.status, 400u) << body << ": " << r.body;
    EXPECT_EQ(r.code(), "validation_failed") << r.body;
  }
  EXPECT_FALSE(std::filesystem::exists(data + "/inside"));

  // orderctl: no token, no backup.
  auto no_token = orderctl({"backup", dir.path() + "/b0", "--url", url});
  EXPECT_EQ(no_token.status, 2) << no_token.out;
  EXPECT_NE(no_token.out.find("staff token"), std::string::npos) << no_token.out;
  // The token from the data directory's admin-token file (as scripts/run keeps it).
  std::ofstream(data + "/admin-token") << testing::OrderdProcess::kAdminToken << "\n";
  auto made = orderctl({"backup", dir.path() + "/b1", "--url", url, "--data-dir", data});
  ASSERT_EQ(made.status, 0) << made.out;

  // Restore: never over a non-empty data directory without --force, never under a running server.
  auto over = orderctl({"restore", dir.path() + "/b1", "--data-dir", data});
  EXPECT_EQ(over.status, 2) << over.out;
  EXPECT_NE(over.out.find("not empty"), std::string::npos) << over.out;
  auto running = orderctl({"restore", dir.path() + "/b1", "--data-dir", data, "--force"});
  EXPECT_EQ(running.status, 2) << running.out;
  EXPECT_NE(running.out.find("running"), std::string::npos) << running.out;
  auto not_backup = orderctl({"restore", data, "--data-dir", dir.path() + "/new"});
  EXPECT_EQ(not_backup.status, 2) << not_backup.out;
  EXPECT_NE(not_backup.out.find("not a backup"), std::string::npos) << not_backup.out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/new/log"));

  // Stopped, --force replaces the log and read models and keeps the rest (the token file).
  orderd.terminate();
  EXPECT_EQ(orderd.wait(), 0);
  auto forced = orderctl({"restore", dir.path() + "/b1", "--data-dir", data, "--force"});
  EXPECT_EQ(forced.status, 0) << forced.out;
  EXPECT_TRUE(std::filesystem::exists(data + "/admin-token"));
  EXPECT_FALSE(std::filesystem::exists(data + "/log.restoring"));
  testing::OrderdProcess again(data);
  testing::HttpClient http2(again.port());
  http2.set_default_headers(testing::admin_bearer());
  EXPECT_EQ(http2.get("/api/v1/products/COFFEE-1KG").status, 200u);
}

}  // namespace
}  // namespace orderline
