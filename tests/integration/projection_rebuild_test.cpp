// Projection operations on the RocksDB read models (real RocksDB, real log): a rebuild under
// live writes never lets a query see a half-built version and ends equal to a fresh fold; the
// old version's keys are gone; the swap survives a restart; pause, resume and reset; and the
// same through orderd's staff API and `orderctl projections`.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <set>
#include <thread>

#include "projections/read_model_store.h"
#include "projections/rocksdb_projection_admin.h"
#include "projections/standard_projections.h"
#include "tests/support/auth.h"
#include "tests/support/engine_fixture.h"
#include "tests/support/http_client.h"

namespace orderline::testing {
namespace {

using projections::Projector;
using projections::ReadModelStore;
using projections::RocksProjectionAdmin;

constexpr std::uint32_t kPartitions = 4;

class ProjectionRebuildTest : public ::testing::Test {
 protected:
  ProjectionRebuildTest() : log_({dir_.path() + "/log", kPartitions}) {
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<commands::PartitionProcessor>(p, log_, fixed_lookups(),
                                                                          commands::ProcessorOptions{}));
    }
  }

  void run(const v1::Command& command) {
    const auto p = eventstore::partition_for(command.stream_id(), kPartitions);
    auto reply = processors_[p]->process({command}).front();
    ASSERT_TRUE(reply.outcome.accepted()) << reply.outcome.error_detail();
  }

  // Order i: placed by one of 5 customers; every third paid, every fifth cancelled.
  void write_orders(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      const auto id = "r" + std::to_string(i);
      run(place_order(id, "cust-" + std::to_string(i % 5), {{"SKU-1", 1 + i % 3}, {"SKU-2", 1}}));
      if (i % 3 == 0) run(order_action(id, "pay"));
      if (i % 5 == 0) run(order_action(id, "cancel"));
    }
  }

  std::unique_ptr<ReadModelStore> open_store(const std::string& name) {
    return std::make_unique<ReadModelStore>(projections::ReadModelStoreOptions{dir_.path() + "/" + name, kPartitions});
  }

  // Every answer the store gives for orders 0..count-1, their customers and the catalogue.
  static std::vector<std::string> answers(const ReadModelStore& store, int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
      auto view = store.order("r" + std::to_string(i));
      out.push_back(view ? view->SerializeAsString() : "<missing>");
    }
    for (int c = 0; c < 5; ++c) {
      auto page = store.customer_orders("cust-" + std::to_string(c), 1000, "");
      std::string ids;
      for (const auto& view : page->items) ids += view.order_id() + ",";
      out.push_back(ids);
    }
    for (const char* sku : {"SKU-1", "SKU-2"}) {
      auto product = store.product(sku);
      out.push_back(product ? product->SerializeAsString() : "<missing>");
    }
    return out;
  }

  // Keys in the store that start with `prefix`.
  static std::size_t keys_with_prefix(ReadModelStore& store, const std::string& prefix) {
    std::unique_ptr<rocksdb::Iterator> it(store.db().NewIterator(rocksdb::ReadOptions()));
    std::size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  }

  static projections::RocksProjectionAdminOptions admin_options() {
    projections::RocksProjectionAdminOptions options;
    options.factory = [](const std::string& name) { return projections::standard_projection(name); };
    options.rebuild_batch_size = 64;  // many small batches: the rebuild overlaps the writes
    return options;
  }

  static std::optional<projections::ProjectionStatus> status_of(const RocksProjectionAdmin& admin,
                                                                const std::string& name) {
    for (auto& status : admin.list()) {
      if (status.name == name) return status;
    }
    return std::nullopt;
  }

  // Waits (bounded: a guard against hanging, not a timing assertion) for the rebuild to end.
  static std::string wait_for_rebuild(const RocksProjectionAdmin& admin, const std::string& name) {
    for (int i = 0; i < 6000; ++i) {
      const auto status = status_of(admin, name);
      if (status && status->rebuild && status->rebuild->finished_at_us != 0) {
        return status->rebuild->state + (status->rebuild->error.empty() ? "" : ": " + status->rebuild->error);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "still running";
  }

  TempDir dir_;
  eventstore::EmbeddedLog log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
};

TEST_F(ProjectionRebuildTest, RebuildUnderLiveWritesNeverShowsAHalfBuiltVersionAndEndsEqualToAFreshFold) {
  write_orders(0, 300);
  auto store = open_store("read-models");
  Projector live(log_, *store, projections::standard_projections());
  live.catch_up();
  const auto before = answers(*store, 300);
  RocksProjectionAdmin admin(log_, *store, live, admin_options());
  live.start();

  // A reader checks that orders known before the rebuild never go missing or lose lines,
  // through the whole rebuild and swap, while a writer keeps placing orders.
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      for (int i = 0; i < 300; i += 7) {
        auto view = store->order("r" + std::to_string(i));
        if (!view || view->lines_size() != 2) bad_reads.fetch_add(1);
        auto page = store->customer_orders("cust-" + std::to_string(i % 5), 1000, "");
        if (!page || page->items.size() < 60) bad_reads.fetch_add(1);
        auto product = store->product("SKU-1");
        reads.fetch_add(3);
      }
    }
  });
  std::thread writer([&] { write_orders(300, 300); });

  for (const char* name : {"order_details", "customer_orders", "catalogue", "recommendations"}) {
    ASSERT_TRUE(admin.rebuild(name).code == projections::OperationResult::Code::ok) << name;
  }
  EXPECT_EQ(admin.rebuild("order_details").code, projections::OperationResult::Code::conflict);
  for (const char* name : {"order_details", "customer_orders", "catalogue", "recommendations"}) {
    EXPECT_EQ(wait_for_rebuild(admin, name), "done") << name;
  }
  writer.join();
  done.store(true);
  reader.join();
  live.stop();
  live.catch_up();
  EXPECT_EQ(bad_reads.load(), 0) << "of " << reads.load() << " reads";

  const std::set<std::string> rebuilt = {"order_details", "customer_orders", "catalogue", "recommendations"};
  for (const auto& status : admin.list()) {
    EXPECT_EQ(status.version, rebuilt.count(status.name) ? 2 : 1) << status.name;
  }
  // Equal to a fresh fold of the same log, in a store of its own.
  auto fresh = open_store("fresh");
  Projector fresh_projector(log_, *fresh, projections::standard_projections());
  fresh_projector.catch_up();
  EXPECT_EQ(answers(*store, 600), answers(*fresh, 600));
  EXPECT_NE(answers(*store, 300), before) << "the writes during the rebuild show in the new version";

  // Version 1's keys and checkpoints are gone; version 2 holds them under its prefix.
  EXPECT_EQ(keys_with_prefix(*store, "o/"), 0u);
  EXPECT_EQ(keys_with_prefix(*store, "c/"), 0u);
  EXPECT_EQ(keys_with_prefix(*store, "p/"), 0u);
  EXPECT_EQ(keys_with_prefix(*store, "cp/order_details/"), 0u);
  EXPECT_EQ(keys_with_prefix(*store, "~order_details@2/o/"), 600u);
  EXPECT_EQ(keys_with_prefix(*store, "cp/customers/"), kPartitions) << "customers was not rebuilt: version 1 stays";
}

TEST_F(ProjectionRebuildTest, TheSwappedVersionIsStillLiveAfterARestartAndASecondRebuildDropsIt) {
  write_orders(0, 40);
  {
    auto store = open_store("read-models");
    Projector live(log_, *store, projections::standard_projections());
    live.catch_up();
    RocksProjectionAdmin admin(log_, *store, live, admin_options());
    ASSERT_EQ(admin.rebuild("order_details").code, projections::OperationResult::Code::ok);
    ASSERT_EQ(wait_for_rebuild(admin, "order_details"), "done");
  }
  write_orders(40, 10);
  auto store = open_store("read-models");
  EXPECT_EQ(store->active_version("order_details"), 2);
  Projector live(log_, *store, projections::standard_projections());
  live.catch_up();  // continues version 2 from its own checkpoints
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(store->order("r" + std::to_string(i))) << i;

  RocksProjectionAdmin admin(log_, *store, live, admin_options());
  ASSERT_EQ(admin.rebuild("order_details").code, projections::OperationResult::Code::ok);
  ASSERT_EQ(wait_for_rebuild(admin, "order_details"), "done");
  EXPECT_EQ(store->active_version("order_details"), 3);
  EXPECT_EQ(keys_with_prefix(*store, "~order_details@2/"), 0u);
  EXPECT_EQ(keys_with_prefix(*store, "~order_details@3/o/"), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(store->order("r" + std::to_string(i))) << i;
}

TEST_F(ProjectionRebuildTest, PauseHoldsOneProjectionBackAndResumeAndResetCatchUp) {
  write_orders(0, 20);
  auto store = open_store("read-models");
  Projector live(log_, *store, projections::standard_projections());
  live.catch_up();
  RocksProjectionAdmin admin(log_, *store, live, admin_options());

  ASSERT_EQ(admin.pause("order_details").code, projections::OperationResult::Code::ok);
  EXPECT_EQ(admin.pause("nope").code, projections::OperationResult::Code::not_found);
  write_orders(20, 5);
  live.catch_up();
  auto paused = status_of(admin, "order_details");
  EXPECT_EQ(paused->state, "paused");
  EXPECT_GT(paused->lag_events, 0u);
  EXPECT_FALSE(store->order("r22")) << "a paused projection folds nothing";
  EXPECT_EQ(status_of(admin, "customer_orders")->lag_events, 0u) << "the others go on";
  EXPECT_FALSE(store->reached(live.stats().projections.empty() ? eventstore::PositionVector{} : [&] {
    eventstore::PositionVector end;
    for (std::uint32_t p = 0; p < kPartitions; ++p) end.offsets[p] = log_.end_offset(p);
    return end;
  }())) << "after=TOKEN must wait for a paused projection";

  ASSERT_EQ(admin.resume("order_details").code, projections::OperationResult::Code::ok);
  live.catch_up();
  EXPECT_EQ(status_of(admin, "order_details")->lag_events, 0u);
  EXPECT_TRUE(store->order("r22"));

  const auto before = answers(*store, 25);
  ASSERT_EQ(admin.reset("catalogue").code, projections::OperationResult::Code::ok);
  EXPECT_EQ(status_of(admin, "catalogue")->lag_events, log_.end_offset(0) + log_.end_offset(1) + log_.end_offset(2) +
                                                           log_.end_offset(3));
  live.catch_up();
  EXPECT_EQ(answers(*store, 25), before);
}

TEST(ProjectionOperationsOverHttp, OrderctlRebuildsWhileOrdersFlowAndTheApiRefusesBadRequests) {
  TempDir data;
  OrderdProcess orderd(data.path() + "/data");
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());
  const HeaderList staff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};
  auto customer = client.post("/api/v1/customers", R"({"email": "p@example.com", "name": "Pro Jection"})");
  ASSERT_EQ(customer.status, 201u) << customer.body;
  const std::string customer_id(customer.json().at("customer_id").as_string());
  auto place = [&](HttpClient& c, int i) {
    return c.post("/api/v1/orders",
                  R"({"customer_id": ")" + customer_id + R"(", "currency": "EUR", "lines": [{"sku": "MUG-CLASSIC", "quantity": 1}]})",
                  {{"Idempotency-Key", "rebuild-" + std::to_string(i)}});
  };
  for (int i = 0; i < 200; ++i) ASSERT_EQ(place(client, i).status, 201u);

  std::atomic<bool> done{false};
  std::thread writer([&] {
    HttpClient own(orderd.port());
    own.set_default_headers(testing::admin_bearer());
    for (int i = 200; !done.load() && i < 5000; ++i) place(own, i);
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(orderd.port());
  int status = 0;
  // The progress bar and the result go to stderr: capture both.
  const auto out = run_command({"/bin/sh", "-c",
                                std::string(ORDERCTL_PATH) + " projections rebuild order_details --timeout 300 --url " + url +
                                    " --token " + OrderdProcess::kAdminToken + " 2>&1"},
                               &status);
  done.store(true);
  writer.join();
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("version 2 is live"), std::string::npos) << out;
  EXPECT_NE(out.find("100.0%"), std::string::npos) << out;

  auto list = client.get("/api/v1/admin/projections", staff);
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_NE(list.body.find(R"("name":"order_details","version":2)"), std::string::npos) << list.body;
  auto order_page = client.get("/api/v1/customers/" + customer_id + "/orders?limit=200", staff);
  EXPECT_EQ(order_page.json().at("items").as_array().size(), 200u);

  const auto table = run_command({ORDERCTL_PATH, "projections", "list", "--url", url, "--token", OrderdProcess::kAdminToken});
  EXPECT_NE(table.find("order_details"), std::string::npos) << table;

  EXPECT_EQ(client.get("/api/v1/admin/projections", {{"Authorization", ""}}).status, 401u);
  EXPECT_EQ(client.post("/api/v1/admin/projections/nope/rebuild", "", staff).status, 404u);
  EXPECT_EQ(client.get("/api/v1/admin/projections/nope", staff).status, 404u);
  EXPECT_EQ(client.get("/api/v1/admin/projections/order_details/rebuild", staff).status, 405u);
  auto paused = client.post("/api/v1/admin/projections/customers/pause", "", staff);
  EXPECT_EQ(paused.status, 200u) << paused.body;
  EXPECT_EQ(paused.json().at("state").as_string(), "paused");
  EXPECT_EQ(client.get("/readyz").status, 200u) << "a paused projection with no new events is not behind";
  EXPECT_EQ(client.post("/api/v1/admin/projections/customers/resume", "", staff).json().at("state").as_string(), "running");
  int bad_status = 0;
  run_command({ORDERCTL_PATH, "projections", "rebuild", "order_details", "--url", url, "--token", "wrong"}, &bad_status);
  EXPECT_NE(bad_status, 0);
}

}  // namespace
}  // namespace orderline::testing
