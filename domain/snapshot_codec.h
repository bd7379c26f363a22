#pragma once
// Aggregate state <-> snapshot bytes (v1::AggregateSnapshot), for the state store's
// snapshots (DESIGN write-side rule 3). Pure functions, like the rest of domain/.
//
//   auto bytes = encode_snapshot(state);                 // nullopt: nothing worth keeping
//   auto back = decode_snapshot("product-SKU-1", *bytes); // nullopt: ignore it, replay the stream
//
// kStateSchemaVersion names the shape of the state structs in aggregate.h. Change any of
// them (a field added, a meaning changed in evolve) and bump it: every stored snapshot then
// reads as stale and aggregates rebuild from their streams, the only safe answer to a state
// that older code computed. snapshot_codec.cpp checks the struct sizes at compile time so an
// added field cannot slip past without a look here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/aggregate.h"

namespace orderline::domain {

inline constexpr std::uint32_t kStateSchemaVersion = 2;  // 2: AccountState.reset_*, failed_logins, locked_until_us (issue 6)

// The snapshot of a state, or nullopt for one not worth keeping (an unknown stream, or a
// stream without events).
std::optional<std::string> encode_snapshot(const AggregateState& state);

// The state held by `bytes`, or nullopt when they do not decode, were written under another
// kStateSchemaVersion, or hold another aggregate type than `stream_id` names.
std::optional<AggregateState> decode_snapshot(std::string_view stream_id, std::string_view bytes);

}  // namespace orderline::domain
