#include "eventstore/partitioning.h"

#include <cassert>

namespace orderline::eventstore {

// Kafka's org.apache.kafka.common.utils.Utils.murmur2: 32-bit arithmetic, little-endian
// blocks, seed 0x9747b28c. Java's signed ints wrap like our unsigned ones.
std::uint32_t murmur2(std::string_view key) {
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const auto length = static_cast<std::uint32_t>(key.size());
  constexpr std::uint32_t seed = 0x9747b28c;
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;

  std::uint32_t h = seed ^ length;
  const std::uint32_t blocks = length / 4;
  for (std::uint32_t i = 0; i < blocks; ++i) {
    const unsigned char* p = data + 4 * i;
    std::uint32_t k = p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const unsigned char* tail = data + 4 * blocks;
  switch (length % 4) {
    case 3:
      h ^= std::uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

std::uint32_t partition_for(std::string_view stream_id, std::uint32_t partition_count) {
  assert(partition_count > 0);
  // Kafka's toPositive(): clear the sign bit, then modulo.
  return (murmur2(stream_id) & 0x7fffffffu) % partition_count;
}

}  // namespace orderline::eventstore
