// Per-order update of the recommendations projection (issue 9, target p99 <= 1 ms): the
// projection's apply of one OrderPlaced (or, one time in ten, the OrderCancelled of an
// earlier order) through a RocksDB WriteBatchWithIndex over the read-model store, then the
// write, as the projector does with a batch of one event (its real batches of up to 2048
// share the write, so this is the worst case). Each iteration is timed on its own, in wall
// time (p50_us, p99_us, max_us) and in this thread's CPU time (cpu_p50_us, cpu_p99_us): on a
// machine shared with other work the wall times measure the queue for a core, the CPU times
// what one update costs.
//
// Baskets: 1 to 6 distinct SKUs of 2,000, from 800 customers (the Superstore sample's shape:
// 5,009 orders, 1,862 products, 793 customers, 1 to 14 lines); BM_RecsOrderUpdate/20 uses 20
// SKUs per order (190 pairs, both directions counted: 20 merges into the items' pair rows).
//
//   build/benchmarks/recs_bench --benchmark_min_time=3
// The store lives in a fresh directory under $ORDERLINE_BENCH_DIR (default: the system
// temporary directory).
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "projections/read_model_store.h"
#include "projections/standard_projections.h"

namespace {

using namespace orderline;

class OneEventBatch final : public projections::BatchWriter {
 public:
  explicit OneEventBatch(rocksdb::DB& db) : db_(db), batch_(rocksdb::BytewiseComparator(), 0, true) {}
  std::optional<std::string> get(std::string_view key) override {
    std::string value;
    if (!batch_.GetFromBatchAndDB(&db_, rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value).ok()) {
      return std::nullopt;
    }
    return value;
  }
  void put(std::string_view key, std::string_view value) override {
    batch_.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  }
  void erase(std::string_view key) override { batch_.Delete(rocksdb::Slice(key.data(), key.size())); }
  void add_counters(std::string_view key, std::string_view row) override {
    batch_.Merge(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(row.data(), row.size()));
  }
  void commit() {
    rocksdb::WriteOptions options;
    options.sync = false;  // as the projector writes read models
    if (!db_.Write(options, batch_.GetWriteBatch()).ok()) std::abort();
    batch_.Clear();
  }

 private:
  rocksdb::DB& db_;
  rocksdb::WriteBatchWithIndex batch_;
};

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// The q-quantile of sorted samples.
double quantile(const std::vector<double>& sorted, double q) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
}

std::string bench_dir() {
  const char* base = std::getenv("ORDERLINE_BENCH_DIR");
  auto dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
             ("recs-bench-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

void BM_RecsOrderUpdate(benchmark::State& state) {
  const int max_items = static_cast<int>(state.range(0));
  const auto dir = bench_dir();
  {
    projections::ReadModelStore store({dir, 1});
    auto projection = projections::make_recommendations_projection();
    OneEventBatch batch(store.db());
    std::mt19937 random(7);
    std::vector<double> micros, cpu_micros;
    eventstore::LogRecord record;
    int next = 0;
    std::int64_t business_us = 1'400'000'000'000'000;
    for (auto _ : state) {
      v1::EventEnvelope envelope;
      v1::EventPayload event;
      const bool cancel = next > 100 && random() % 10 == 0;
      const int order = cancel ? static_cast<int>(random() % next) : next++;
      envelope.set_stream_id("order-o" + std::to_string(order));
      // An hour of business time per order: ~45,000 orders span five years, so items carry
      // years of weekly popularity counts (their stored value grows with the weeks they sold in).
      envelope.set_occurred_at_us(business_us += 3'600'000'000);
      if (cancel) {
        event.mutable_order_cancelled()->set_order_id("o" + std::to_string(order));
      } else {
        auto* placed = event.mutable_order_placed();
        placed->set_order_id("o" + std::to_string(order));
        placed->set_customer_id("cust-" + std::to_string(random() % 800));
        const int lines = max_items == 6 ? 1 + static_cast<int>(random() % 6) : max_items;
        for (int l = 0; l < lines; ++l) {
          auto* line = placed->add_lines();
          line->set_sku("SKU-" + std::to_string(random() % 2000));
          line->set_name("Product name of some length");
          line->set_quantity(1);
        }
      }
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = thread_cpu_us();
      projection->apply({record, envelope, event}, batch);
      batch.commit();
      cpu_micros.push_back(thread_cpu_us() - cpu_start);
      micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(micros.begin(), micros.end());
    std::sort(cpu_micros.begin(), cpu_micros.end());
    state.counters["p50_us"] = quantile(micros, 0.50);
    state.counters["p99_us"] = quantile(micros, 0.99);
    state.counters["max_us"] = micros.back();
    state.counters["cpu_p50_us"] = quantile(cpu_micros, 0.50);
    state.counters["cpu_p99_us"] = quantile(cpu_micros, 0.99);
    state.counters["orders"] = next;
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecsOrderUpdate)->Arg(6)->Arg(20)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
