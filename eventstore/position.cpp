#include "eventstore/position.h"

#include <algorithm>

#include "eventstore/base64url.h"

namespace orderline::eventstore {
namespace {

constexpr std::string_view kPrefix = "p1.";

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::optional<std::uint64_t> get_varint(std::string_view& in) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= std::uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return v;
  }
  return std::nullopt;
}

}  // namespace

bool PositionVector::covers(const PositionVector& other) const {
  return std::all_of(other.offsets.begin(), other.offsets.end(), [&](const auto& entry) {
    auto it = offsets.find(entry.first);
    return entry.second == 0 || (it != offsets.end() && it->second >= entry.second);
  });
}

void PositionVector::merge_max(const PositionVector& other) {
  for (const auto& [partition, offset] : other.offsets) {
    auto& mine = offsets[partition];
    mine = std::max(mine, offset);
  }
}

std::string encode_position(const PositionVector& position) {
  std::string raw;
  put_varint(raw, position.offsets.size());
  for (const auto& [partition, offset] : position.offsets) {
    put_varint(raw, partition);
    put_varint(raw, offset);
  }
  return std::string(kPrefix) + base64url_encode(raw);
}

std::optional<PositionVector> decode_position(std::string_view token) {
  // Bounded: a token names at most a few thousand partitions.
  if (token.size() > 16 * 1024 || token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto raw = base64url_decode(token.substr(kPrefix.size()));
  if (!raw) return std::nullopt;
  std::string_view in = *raw;
  auto count = get_varint(in);
  if (!count || *count > 65536) return std::nullopt;
  PositionVector position;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto partition = get_varint(in);
    auto offset = get_varint(in);
    if (!partition || !offset || *partition > 0xffffffffu) return std::nullopt;
    position.offsets[static_cast<std::uint32_t>(*partition)] = *offset;
  }
  if (!in.empty()) return std::nullopt;
  return position;
}

}  // namespace orderline::eventstore
