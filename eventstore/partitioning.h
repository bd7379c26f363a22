#pragma once
// The one function that maps a stream to a partition, in every mode (DESIGN rule 1).
// murmur2 as Kafka's Java clients compute it, so a Kafka producer with the default
// partitioner and Orderline agree on where a key lives.
#include <cstdint>
#include <string_view>

namespace orderline::eventstore {

std::uint32_t murmur2(std::string_view key);
std::uint32_t partition_for(std::string_view stream_id, std::uint32_t partition_count);

}  // namespace orderline::eventstore
