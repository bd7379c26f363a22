// Values are big-endian fields after a format byte, hand-encoded rather than protobuf because
// they sit on the per-order hot path (recs_bench) and are private to this projection: a new
// format bumps the projection's format() (recommendations_projection.cpp), which folds it
// again from the start, so it needs no upcaster. Items are format 2 (weekly counts, the name's
// time); orders and totals are still format 1.
#include "projections/recommendation_keys.h"

#include <cstdint>

namespace orderline::projections::recs_keys {
namespace {

constexpr char kFormat = 1;
constexpr char kItemFormat = 2;

void put_string(std::string& out, std::string_view text) {
  codec::put_u32(out, static_cast<std::uint32_t>(text.size()));
  out += text;
}

// Reads fields in order; any short read makes ok() false from then on.
class Reader {
 public:
  explicit Reader(std::string_view in, char format = kFormat) : in_(in) {
    ok_ = !in_.empty() && in_.front() == format;
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
  // LEB128: seven bits a byte, low bits first, at most ten bytes.
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70 && take(1); shift += 7) {
      const auto byte = static_cast<std::uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
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

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

// orders(8) name_at_us(8) name, then the weeks newest first: their number (varint), the newest
// week (8, two's complement), then each week's count (varint) and the gap to the next older
// week (varint; the last has none). A year of weekly sales is about 100 bytes.
std::string encode(const recommendations::ItemStats& stats) {
  std::string out(1, kItemFormat);
  codec::put_u64(out, static_cast<std::uint64_t>(stats.orders));
  codec::put_u64(out, static_cast<std::uint64_t>(stats.name_at_us));
  put_string(out, stats.name);
  const auto& weeks = stats.popularity.weeks;
  put_varint(out, weeks.size());
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    if (i == 0) codec::put_u64(out, static_cast<std::uint64_t>(weeks[i].first));
    put_varint(out, static_cast<std::uint64_t>(weeks[i].second));
    if (i + 1 < weeks.size()) put_varint(out, static_cast<std::uint64_t>(weeks[i].first - weeks[i + 1].first));
  }
  return out;
}

std::optional<recommendations::ItemStats> decode_item(std::string_view value) {
  Reader in(value, kItemFormat);
  recommendations::ItemStats stats;
  stats.orders = static_cast<std::int64_t>(in.u64());
  stats.name_at_us = static_cast<std::int64_t>(in.u64());
  stats.name = in.text();
  const auto count = in.varint();
  // Every week takes at least one byte: a count beyond the bytes left is corrupt, not a reason
  // to reserve memory for it.
  if (!in.ok() || count > value.size()) return std::nullopt;
  std::int64_t week = 0;
  for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
    if (i == 0) week = static_cast<std::int64_t>(in.u64());
    const auto orders = in.varint();
    if (orders == 0 || orders > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    stats.popularity.weeks.emplace_back(week, static_cast<std::int64_t>(orders));
    if (i + 1 < count) {
      const auto gap = in.varint();
      // Strictly older, and never below the smallest week (no signed overflow on corrupt input).
      const auto room = static_cast<std::uint64_t>(week) - static_cast<std::uint64_t>(INT64_MIN);
      if (gap == 0 || gap > room) return std::nullopt;
      week = static_cast<std::int64_t>(static_cast<std::uint64_t>(week) - gap);
    }
  }
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
