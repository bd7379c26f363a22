// Poison events (real RocksDB, real log): an undecodable record and an event a projection's
// apply keeps throwing on are retried, then parked as dead letters (visible, with the error)
// while the projection goes on; retry folds one once the cause is gone, skip drops it; with
// PoisonPolicy::stop the projection halts on the event instead. And the same over orderd's
// staff API and `orderctl deadletters`.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <stdexcept>

#include "projections/keys.h"
#include "projections/read_model_store.h"
#include "projections/rocksdb_projection_admin.h"
#include "projections/standard_projections.h"
#include "tests/support/auth.h"
#include "tests/support/engine_fixture.h"
#include "tests/support/http_client.h"

namespace orderline::testing {
namespace {

using projections::OperationResult;
using projections::Projector;

constexpr std::uint32_t kPartitions = 2;

// Counts placed orders, and throws on any event of "order-poison" while `broken` is set.
class Fragile final : public projections::Projection {
 public:
  explicit Fragile(std::atomic<bool>& broken, std::atomic<int>& tries) : broken_(broken), tries_(tries) {}
  std::string name() const override { return "fragile"; }
  std::vector<std::string> key_prefixes() const override { return {"f/"}; }
  void apply(const projections::EventContext& ctx, projections::BatchWriter& writer) override {
    if (ctx.envelope.stream_id() == "order-poison") {
      tries_.fetch_add(1);
      writer.put("f/half-written", "x");  // must be rolled back with the failed try
      if (broken_.load()) throw std::runtime_error("cannot fold the poison order");
    }
    if (ctx.event.event_case() == v1::EventPayload::kOrderPlaced) {
      writer.put("f/" + std::string(ctx.envelope.stream_id()), "1");
    }
  }

 private:
  std::atomic<bool>& broken_;
  std::atomic<int>& tries_;
};

class DeadLettersTest : public ::testing::Test {
 protected:
  DeadLettersTest() : log_({dir_.path() + "/log", kPartitions}) {
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<commands::PartitionProcessor>(p, log_, fixed_lookups(),
                                                                          commands::ProcessorOptions{}));
    }
    store_ = std::make_unique<projections::ReadModelStore>(
        projections::ReadModelStoreOptions{dir_.path() + "/read-models", kPartitions});
  }

  void place(const std::string& id) {
    auto command = place_order(id);
    auto reply = processors_[eventstore::partition_for(command.stream_id(), kPartitions)]->process({command}).front();
    ASSERT_TRUE(reply.outcome.accepted());
  }

  std::unique_ptr<Projector> projector(projections::PoisonPolicy policy) {
    std::vector<std::unique_ptr<projections::Projection>> all;
    all.push_back(std::make_unique<Fragile>(broken_, tries_));
    all.push_back(projections::make_order_details_projection());
    projections::ProjectorOptions options;
    options.on_poison = policy;
    options.retry_backoff = std::chrono::milliseconds(1);
    return std::make_unique<Projector>(log_, *store_, std::move(all), options);
  }

  projections::RocksProjectionAdminOptions admin_options() {
    projections::RocksProjectionAdminOptions options;
    options.factory = [this](const std::string& name) -> std::unique_ptr<projections::Projection> {
      if (name == "fragile") return std::make_unique<Fragile>(broken_, tries_);
      return projections::standard_projection(name);
    };
    return options;
  }

  bool has_key(const std::string& key) {
    std::string value;
    return store_->db().Get(rocksdb::ReadOptions(), key, &value).ok();
  }

  TempDir dir_;
  eventstore::EmbeddedLog log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
  std::unique_ptr<projections::ReadModelStore> store_;
  std::atomic<bool> broken_{true};
  std::atomic<int> tries_{0};
};

TEST_F(DeadLettersTest, AFailingEventIsRetriedParkedAndLaterFoldedByRetry) {
  place("a");
  place("poison");
  place("b");
  auto live = projector(projections::PoisonPolicy::park);
  live->catch_up();
  EXPECT_EQ(tries_.load(), 3) << "three tries in all (ProjectorOptions::max_attempts)";
  EXPECT_TRUE(has_key("f/order-a"));
  EXPECT_TRUE(has_key("f/order-b")) << "the projection went on past the poison event";
  EXPECT_FALSE(has_key("f/order-poison"));
  EXPECT_FALSE(has_key("f/half-written")) << "a failed try's writes are rolled back";
  EXPECT_TRUE(store_->order("poison")) << "other projections fold the event as usual";

  projections::RocksProjectionAdmin admin(log_, *store_, *live, admin_options());
  auto letters = admin.dead_letters("", 100);
  ASSERT_EQ(letters.size(), 1u);
  const auto id = projections::dead_letter_id(letters[0]);
  EXPECT_EQ(letters[0].projection(), "fragile");
  EXPECT_EQ(letters[0].stream_id(), "order-poison");
  EXPECT_EQ(letters[0].event_type(), "OrderPlaced");
  EXPECT_EQ(letters[0].error(), "cannot fold the poison order");
  EXPECT_EQ(letters[0].attempts(), 3u);

  auto still = admin.retry_dead_letter(id);
  EXPECT_EQ(still.code, OperationResult::Code::conflict);
  EXPECT_EQ(admin.dead_letters("fragile", 100).at(0).attempts(), 4u);
  EXPECT_FALSE(has_key("f/half-written"));

  broken_.store(false);
  EXPECT_EQ(admin.retry_dead_letter(id).code, OperationResult::Code::ok);
  EXPECT_TRUE(has_key("f/order-poison"));
  EXPECT_TRUE(admin.dead_letters("", 100).empty());
  EXPECT_EQ(admin.retry_dead_letter(id).code, OperationResult::Code::not_found);
  EXPECT_EQ(admin.retry_dead_letter("garbage").code, OperationResult::Code::not_found);
  EXPECT_EQ(admin.skip_dead_letter("fragile:0:999").code, OperationResult::Code::not_found);
}

TEST_F(DeadLettersTest, AnUndecodableRecordIsParkedForEveryProjectionAndSkipDropsIt) {
  place("a");
  eventstore::AppendBatch garbage;
  garbage.records.push_back({"order-garbage", std::string("\xff\x01 not an envelope", 19), 1});
  ASSERT_TRUE(log_.append(0, garbage));
  place("b");
  auto live = projector(projections::PoisonPolicy::park);
  live->catch_up();
  EXPECT_TRUE(store_->order("a"));
  EXPECT_TRUE(store_->order("b"));
  projections::RocksProjectionAdmin admin(log_, *store_, *live, admin_options());
  const auto letters = admin.dead_letters("", 100);
  ASSERT_EQ(letters.size(), 2u) << "one per projection";
  for (const auto& letter : letters) {
    EXPECT_EQ(letter.stream_id(), "order-garbage");
    EXPECT_NE(letter.error().find("undecodable"), std::string::npos);
  }
  EXPECT_EQ(admin.retry_dead_letter(projections::dead_letter_id(letters[0])).code, OperationResult::Code::conflict);
  for (const auto& letter : letters) {
    EXPECT_EQ(admin.skip_dead_letter(projections::dead_letter_id(letter)).code, OperationResult::Code::ok);
  }
  EXPECT_TRUE(admin.dead_letters("", 100).empty());
}

TEST_F(DeadLettersTest, StopPolicyHaltsTheProjectionOnTheEventAndResumeRetriesIt) {
  place("a");
  place("poison");
  place("b");
  auto live = projector(projections::PoisonPolicy::stop);
  live->catch_up();
  projections::RocksProjectionAdmin admin(log_, *store_, *live, admin_options());
  std::optional<projections::ProjectionStatus> fragile;
  for (auto& status : admin.list()) {
    if (status.name == "fragile") fragile = status;
  }
  ASSERT_TRUE(fragile);
  EXPECT_EQ(fragile->state, "failed");
  EXPECT_NE(fragile->error.find("cannot fold the poison order"), std::string::npos) << fragile->error;
  EXPECT_GT(fragile->lag_events, 0u);
  EXPECT_TRUE(admin.dead_letters("", 100).empty()) << "stop parks nothing";
  EXPECT_TRUE(store_->order("b")) << "the other projections go on";
  const auto poison_partition = eventstore::partition_for("order-poison", kPartitions);
  const auto stopped_at = fragile->checkpoints[poison_partition];
  EXPECT_LT(stopped_at, log_.end_offset(poison_partition)) << "the poison event stays the next to fold";

  broken_.store(false);
  ASSERT_EQ(admin.resume("fragile").code, OperationResult::Code::ok);
  live->catch_up();
  EXPECT_TRUE(has_key("f/order-poison"));
  EXPECT_TRUE(has_key("f/order-b"));
  for (auto& status : admin.list()) {
    if (status.name == "fragile") {
      EXPECT_EQ(status.state, "running");
      EXPECT_EQ(status.lag_events, 0u);
    }
  }
}

TEST(DeadLettersOverHttp, OrderctlListsAndSkipsWhatOrderdParked) {
  TempDir data;
  {
    OrderdProcess first(data.path() + "/data");  // creates the data directory and the demo catalogue
  }
  {
    // A record no projection can decode, written into the stopped engine's log.
    eventstore::EmbeddedLog log({data.path() + "/data/log", 8});
    eventstore::AppendBatch garbage;
    garbage.records.push_back({"order-garbage", "definitely not protobuf", 1});
    ASSERT_TRUE(log.append(3, garbage));
  }
  OrderdProcess orderd(data.path() + "/data");
  HttpClient client(orderd.port());
  client.set_default_headers(testing::admin_bearer());
  const HeaderList staff = {{"Authorization", std::string("Bearer ") + OrderdProcess::kAdminToken}};
  HttpResponse listed;
  for (int i = 0; i < 400; ++i) {  // the projector folds in the background
    listed = client.get("/api/v1/admin/deadletters", staff);
    // One per standard projection: customers, catalogue, customer_orders, order_details,
    // recommendations, revocations.
    if (listed.status == 200 && listed.json().at("items").as_array().size() == 6) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(listed.status, 200u) << listed.body;
  const auto body = listed.json();
  ASSERT_EQ(body.at("items").as_array().size(), 6u) << listed.body;
  const std::string id(body.at("items").as_array().at(0).at("id").as_string());
  EXPECT_EQ(client.get("/api/v1/admin/deadletters?projection=catalogue", staff).json().at("items").as_array().size(), 1u);
  EXPECT_EQ(client.get("/api/v1/admin/deadletters", {{"Authorization", ""}}).status, 401u);
  EXPECT_EQ(client.post("/api/v1/admin/deadletters/" + id + "/retry", "", staff).status, 409u);
  EXPECT_EQ(client.post("/api/v1/admin/deadletters/nope/skip", "", staff).status, 404u);

  const std::string url = "http://127.0.0.1:" + std::to_string(orderd.port());
  const auto table = run_command({ORDERCTL_PATH, "deadletters", "list", "--url", url, "--token", OrderdProcess::kAdminToken});
  EXPECT_NE(table.find("order-garbage"), std::string::npos) << table;
  int status = 1;
  const auto skipped =
      run_command({ORDERCTL_PATH, "deadletters", "skip", id, "--url", url, "--token", OrderdProcess::kAdminToken}, &status);
  EXPECT_EQ(status, 0) << skipped;
  EXPECT_EQ(client.get("/api/v1/admin/deadletters", staff).json().at("items").as_array().size(), 5u);
  const auto metrics = client.get("/metrics").body;
  EXPECT_NE(metrics.find("orderline_projection_poison_events_total{outcome=\"parked\",projection=\"catalogue\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace orderline::testing
