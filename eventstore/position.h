#pragma once
// Positions: a per-partition vector of log offsets, carried to clients as an opaque token.
// An entry is exclusive: the offset *after* the last event a write produced, so a reader has
// seen the write once its checkpoint on that partition is >= the entry.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orderline::eventstore {

struct PositionVector {
  std::map<std::uint32_t, std::uint64_t> offsets;  // partition -> exclusive offset

  // Every entry of `other` is at or below ours.
  bool covers(const PositionVector& other) const;
  void merge_max(const PositionVector& other);
};

// Opaque, URL-safe token ("p1." + base64url of varints). Decoding rejects garbage.
std::string encode_position(const PositionVector& position);
std::optional<PositionVector> decode_position(std::string_view token);

}  // namespace orderline::eventstore
