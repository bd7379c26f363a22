// Counter rows (projections/counter_row.h): the sum is canonical and independent of the order
// rows are added in, and RocksDB's merge (the projector's path) stores the same bytes as the
// read-add-write of in-memory batches (BatchWriter's default: what a test fold or a replay
// computes), so a rebuilt or restored store can be compared byte for byte with a fold.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <random>

#include "projections/counter_row.h"
#include "projections/projection.h"
#include "projections/read_model_store.h"
#include "tests/support/process.h"

namespace orderline::projections {
namespace {

TEST(CounterRow, AddsColumnByColumnAndDropsWhatReachesZero) {
  const auto sum = add_rows(encode_row({{"MUG", 1}, {"TEA", 1}}), encode_row({{"MUG", -1}, {"CUP", 2}}));
  ASSERT_TRUE(sum.has_value());
  EXPECT_EQ(*sum, encode_row({{"CUP", 2}, {"TEA", 1}}));
  EXPECT_EQ(decode_row(*sum), (CounterRow{{"CUP", 2}, {"TEA", 1}}));
  // Nothing yet plus a row is that row; a row that cancels out is empty, not absent.
  EXPECT_EQ(add_rows(std::nullopt, encode_row({{"MUG", 3}})), encode_row({{"MUG", 3}}));
  EXPECT_EQ(decode_row(*add_rows(encode_row({{"MUG", 3}}), encode_row({{"MUG", -3}}))), CounterRow{});
  // Worked bytes: format 1, then length(4) "AB" count(8), big-endian.
  EXPECT_EQ(encode_row({{"AB", 258}}), std::string("\x01\0\0\0\x02" "AB\0\0\0\0\0\0\x01\x02", 15));
}

TEST(CounterRow, RefusesWhatIsNotACounterRow) {
  EXPECT_FALSE(decode_row("").has_value());
  EXPECT_FALSE(decode_row(std::string("\x02", 1)).has_value());                   // another format
  EXPECT_FALSE(decode_row(std::string("\x01\0\0\0\x05" "AB", 7)).has_value());    // cut short
  EXPECT_FALSE(add_rows(std::string_view("\x07garbage"), encode_row({{"A", 1}})).has_value());
}

// In-memory batch: BatchWriter's default add_counters (read, add, write).
class MapWriter final : public BatchWriter {
 public:
  std::optional<std::string> get(std::string_view key) override {
    auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override { values[std::string(key)] = std::string(value); }
  void erase(std::string_view key) override { values.erase(std::string(key)); }
  std::map<std::string, std::string> values;
};

TEST(CounterRow, RocksDbMergesStoreWhatReadAddWriteStoresWhateverTheOrder) {
  std::mt19937 random(42);
  std::vector<std::pair<std::string, std::string>> operations;  // (key, row)
  for (int i = 0; i < 400; ++i) {
    CounterRow delta;
    for (int c = 0; c < 3; ++c) delta["SKU-" + std::to_string(random() % 6)] += 1;
    operations.emplace_back("r/p/" + std::to_string(random() % 5), encode_row(delta));
  }
  // Each delta taken back later (a retraction), so some columns come and go.
  for (std::size_t i = 0; i < operations.size(); i += 3) {
    auto row = *decode_row(operations[i].second);
    for (auto& [column, count] : row) count = -count;
    operations.emplace_back(operations[i].first, encode_row(row));
  }

  MapWriter memory;
  for (const auto& [key, row] : operations) memory.add_counters(key, row);

  testing::TempDir dir;
  ReadModelStore store({dir.path(), 1});
  auto shuffled = operations;
  std::shuffle(shuffled.begin(), shuffled.end(), random);
  for (std::size_t i = 0; i < shuffled.size(); ++i) {
    ASSERT_TRUE(store.db().Merge(rocksdb::WriteOptions(), shuffled[i].first, shuffled[i].second).ok());
    // A flush midway: some operands meet a stored row, others each other (partial merges).
    if (i == shuffled.size() / 2) {
      ASSERT_TRUE(store.db().Flush(rocksdb::FlushOptions()).ok());
    }
  }
  auto expect_equal = [&] {
    for (const auto& [key, value] : memory.values) {
      std::string stored;
      ASSERT_TRUE(store.db().Get(rocksdb::ReadOptions(), key, &stored).ok()) << key;
      EXPECT_EQ(stored, value) << key;
    }
  };
  expect_equal();
  ASSERT_TRUE(store.db().CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
  expect_equal();
  EXPECT_EQ(memory.values.size(), 5u);
}

}  // namespace
}  // namespace orderline::projections
