#include "projections/counter_row.h"

#include <deque>
#include <stdexcept>

#include "eventstore/embedded/key_codec.h"
#include "projections/projection.h"

namespace orderline::projections {
namespace {

constexpr char kFormat = 1;

bool add_into(CounterRow& sum, std::string_view value) {
  if (value.empty() || value.front() != kFormat) return false;
  value.remove_prefix(1);
  while (!value.empty()) {
    if (value.size() < 4) return false;
    const auto size = codec::get_u32(value);
    value.remove_prefix(4);
    if (value.size() < std::size_t{size} + 8) return false;
    const auto column = value.substr(0, size);
    const auto count = static_cast<std::int64_t>(codec::get_u64(value.substr(size)));
    value.remove_prefix(std::size_t{size} + 8);
    auto it = sum.find(column);
    if (it == sum.end()) it = sum.emplace(std::string(column), 0).first;
    it->second += count;
    if (it->second == 0) sum.erase(it);
  }
  return true;
}

// All the operands of a key are added into one map and encoded once: adding them two at a time
// (AssociativeMergeOperator) decodes and encodes the growing row once per operand, which made
// a flush of a memtable holding a hundred operands per row stall writes for seconds (recs_bench).
// Adding rows is associative, so RocksDB may also add operands to each other before it meets
// the stored row (PartialMergeMulti).
class CounterRowMerge final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    CounterRow sum;
    if (in.existing_value && !add_into(sum, in.existing_value->ToStringView())) return false;
    for (const auto& operand : in.operand_list) {
      if (!add_into(sum, operand.ToStringView())) return false;
    }
    out->new_value = encode_row(sum);
    return true;
  }
  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands, std::string* new_value,
                         rocksdb::Logger*) const override {
    CounterRow sum;
    for (const auto& operand : operands) {
      if (!add_into(sum, operand.ToStringView())) return false;
    }
    *new_value = encode_row(sum);
    return true;
  }
  const char* Name() const override { return "orderline.CounterRow"; }
};

}  // namespace

std::string encode_row(const CounterRow& row) {
  std::string out(1, kFormat);
  for (const auto& [column, count] : row) {
    if (count == 0) continue;
    codec::put_u32(out, static_cast<std::uint32_t>(column.size()));
    out += column;
    codec::put_u64(out, static_cast<std::uint64_t>(count));
  }
  return out;
}

std::optional<CounterRow> decode_row(std::string_view value) {
  CounterRow row;
  if (!add_into(row, value)) return std::nullopt;
  return row;
}

std::optional<std::string> add_rows(std::optional<std::string_view> existing, std::string_view delta) {
  CounterRow sum;
  if (existing && !add_into(sum, *existing)) return std::nullopt;
  if (!add_into(sum, delta)) return std::nullopt;
  return encode_row(sum);
}

std::shared_ptr<rocksdb::MergeOperator> counter_row_merge_operator() { return std::make_shared<CounterRowMerge>(); }

// BatchWriter's default (projection.h): in-memory batches read, add and write, which gives
// the bytes RocksDB's merge gives.
void BatchWriter::add_counters(std::string_view key, std::string_view row) {
  const auto existing = get(key);
  auto sum = existing ? add_rows(std::string_view(*existing), row) : add_rows(std::nullopt, row);
  if (!sum) throw std::runtime_error("not a counter row at " + std::string(key));
  put(key, *sum);
}

}  // namespace orderline::projections
