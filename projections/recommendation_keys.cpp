// Values are fixed-width big-endian fields after a format byte (1), hand-encoded rather than
// protobuf because they sit on the per-order hot path (recs_bench) and are private to this
// projection: a rebuild rewrites them all, so a new format needs no upcaster.
#include "projections/recommendation_keys.h"

#include <bit>

namespace orderline::projections::recs_keys {
namespace {

constexpr char kFormat = 1;

void put_string(std::string& out, std::string_view text) {
  codec::put_u32(out, static_cast<std::uint32_t>(text.size()));
  out += text;
}

// Reads fields in order; any short read makes ok() false from then on.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {
    ok_ = !in_.empty() && in_.front() == kFormat;
    if (ok_) in_.remove_prefix(1);
  }
  std::uint8_t u8() {
    if (!take(1)) return 0;
    auto v = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    return v;
  }
  std::uint32_t u32() {
    if (!take(4)) return 0;
    auto v = codec::get_u32(in_);
    in_.remove_prefix(4);
    return v;
  }
  std::uint64_t u64() {
    if (!take(8)) return 0;
    auto v = codec::get_u64(in_);
    in_.remove_prefix(8);
    return v;
  }
  std::string text() {
    const auto size = u32();
    if (!take(size)) return {};
    std::string out(in_.substr(0, size));
    in_.remove_prefix(size);
    return out;
  }
  bool at_end() const { return in_.empty(); }
  bool ok() const { return ok_; }

 private:
  bool take(std::size_t n) {
    if (in_.size() < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  bool ok_;
};

}  // namespace

std::string encode(const recommendations::ItemStats& stats) {
  std::string out(1, kFormat);
  codec::put_u64(out, static_cast<std::uint64_t>(stats.orders));
  codec::put_u64(out, std::bit_cast<std::uint64_t>(stats.popularity.value));
  codec::put_u64(out, static_cast<std::uint64_t>(stats.popularity.reference_us));
  put_string(out, stats.name);
  return out;
}

std::optional<recommendations::ItemStats> decode_item(std::string_view value) {
  Reader in(value);
  recommendations::ItemStats stats;
  stats.orders = static_cast<std::int64_t>(in.u64());
  stats.popularity.value = std::bit_cast<double>(in.u64());
  stats.popularity.reference_us = static_cast<std::int64_t>(in.u64());
  stats.name = in.text();
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return stats;
}

std::string encode(const recommendations::OrderRecord& record) {
  std::string out(1, kFormat);
  out.push_back(record.state == recommendations::OrderRecord::State::retracted ? 1 : 0);
  codec::put_u64(out, static_cast<std::uint64_t>(record.at_us));
  put_string(out, record.customer_id);
  codec::put_u32(out, static_cast<std::uint32_t>(record.skus.size()));
  for (const auto& sku : record.skus) put_string(out, sku);
  return out;
}

std::optional<recommendations::OrderRecord> decode_order(std::string_view value) {
  Reader in(value);
  recommendations::OrderRecord record;
  record.state = in.u8() == 1 ? recommendations::OrderRecord::State::retracted
                              : recommendations::OrderRecord::State::counted;
  record.at_us = static_cast<std::int64_t>(in.u64());
  record.customer_id = in.text();
  const auto skus = in.u32();
  for (std::uint32_t i = 0; i < skus && in.ok(); ++i) record.skus.push_back(in.text());
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return record;
}

std::string encode(const recommendations::Totals& totals) {
  std::string out(1, kFormat);
  codec::put_u64(out, static_cast<std::uint64_t>(totals.live_orders));
  codec::put_u64(out, static_cast<std::uint64_t>(totals.latest_us));
  codec::put_u64(out, totals.generation);
  return out;
}

recommendations::Totals decode_totals(std::string_view value) {
  Reader in(value);
  recommendations::Totals totals;
  totals.live_orders = static_cast<std::int64_t>(in.u64());
  totals.latest_us = static_cast<std::int64_t>(in.u64());
  totals.generation = in.u64();
  return in.ok() && in.at_end() ? totals : recommendations::Totals{};
}

}  // namespace orderline::projections::recs_keys
