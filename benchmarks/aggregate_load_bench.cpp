// Loading one long aggregate from the embedded log on a cache miss (after a restart or an
// eviction): a product stream of 100,000 events, folded from its first event (the path
// without snapshots) or from a persisted snapshot 500 events before its end (the average
// tail with --snapshot-every 1000).
//
//   BM_Load/held/...    100k reservations held: the snapshot is as large as the state gets
//   BM_Load/churn/...   50k reservations each released again: a long stream, a small state
//
// The events are written straight to the log (no decide: the product's checks scan its
// reservations, so building 100k held ones through commands would take minutes), unsynced,
// in a bench::ScratchDir.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "benchmarks/scratch_dir.h"
#include "commands/aggregate_loader.h"
#include "domain/snapshot_codec.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/partitioning.h"

namespace {

using namespace orderline;

constexpr std::uint64_t kEvents = 100'000;
constexpr std::uint64_t kSnapshotAt = kEvents - 500;

v1::EventPayload event_at(const std::string& sku, std::uint64_t version, bool churn) {
  v1::EventPayload event;
  if (version == 1) {
    auto& created = *event.mutable_product_created();
    created.set_sku(sku);
    created.set_name("Long product");
    created.mutable_price()->set_amount_minor(500);
    created.mutable_price()->set_currency("EUR");
    created.set_stock(10'000'000);
    return event;
  }
  // churn: even versions reserve, odd ones release that reservation again.
  const std::uint64_t n = churn ? version / 2 : version;
  const std::string order_id = "order-" + std::to_string(n);
  if (churn && version % 2 == 1) {
    auto& released = *event.mutable_stock_released();
    released.set_sku(sku);
    released.set_order_id(order_id);
    released.set_quantity(1);
    released.set_reason("cancelled");
  } else {
    auto& reserved = *event.mutable_stock_reserved();
    reserved.set_sku(sku);
    reserved.set_order_id(order_id);
    reserved.set_quantity(1);
  }
  return event;
}

// One product stream of kEvents events with a snapshot at kSnapshotAt, appended in batches.
void write_stream(eventstore::EventLog& log, const std::string& sku, bool churn) {
  const std::string stream = domain::product_stream(sku);
  const std::uint32_t partition = eventstore::partition_for(stream, log.partition_count());
  auto state = domain::initial_state(stream);
  eventstore::AppendBatch batch;
  v1::EventEnvelope envelope;
  for (std::uint64_t version = 1; version <= kEvents; ++version) {
    auto event = event_at(sku, version, churn);
    domain::evolve(state, event);
    envelope.Clear();
    envelope.set_event_id("bench-" + std::to_string(version));
    envelope.set_stream_id(stream);
    envelope.set_stream_version(version);
    envelope.set_type(domain::event_type(event));
    envelope.set_schema_version(domain::schema_version(event));
    event.SerializeToString(envelope.mutable_payload());
    batch.records.push_back({stream, envelope.SerializeAsString(), version});
    if (version == kSnapshotAt) {
      const std::uint64_t offset = log.end_offset(partition) + batch.records.size() - 1;
      batch.snapshots.push_back({stream, version, partition, offset, *domain::encode_snapshot(state)});
    }
    if (batch.records.size() == 1000 || version == kEvents) {
      if (!log.append(partition, batch)) throw std::runtime_error("append failed");
      batch = {};
    }
  }
}

// The log with both streams, written once per process and removed at exit.
class Store {
 public:
  Store() {
    eventstore::EmbeddedLogOptions options;
    options.path = dir_.path();
    options.sync = false;  // set-up only: loading reads, it never syncs
    log_ = std::make_unique<eventstore::EmbeddedLog>(options);
    write_stream(*log_, "HELD", false);
    write_stream(*log_, "CHURN", true);
  }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  const eventstore::EventLog& log() const { return *log_; }

 private:
  bench::ScratchDir dir_;  // declared first: made before the log opens, removed after it closes
  std::unique_ptr<eventstore::EmbeddedLog> log_;
};

const eventstore::EventLog& the_log() {
  static Store store;
  return store.log();
}

void load(benchmark::State& state, const std::string& sku, bool with_snapshot) {
  const auto& log = the_log();
  const std::string stream = domain::product_stream(sku);
  std::size_t folded = 0;
  for (auto _ : state) {
    auto loaded = with_snapshot ? commands::load_aggregate(log, stream) : commands::replay_aggregate(log, stream);
    if (!loaded || domain::version_of(loaded.value->state) != kEvents ||
        loaded.value->from_snapshot != with_snapshot) {
      state.SkipWithError("the stream did not load as expected");
      return;
    }
    folded = loaded.value->events_folded;
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["events_folded"] = static_cast<double>(folded);
}

BENCHMARK_CAPTURE(load, held/replay, "HELD", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(load, held/snapshot, "HELD", true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(load, churn/replay, "CHURN", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(load, churn/snapshot, "CHURN", true)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
