#pragma once
// Ids the gateway derives or draws: order/customer ids, command ids, request ids, request
// hashes; and the parsing of If-Match. Deterministic ids make retries safe (DESIGN rule 4):
//
//   order_id   = uuid_v5(kIdNamespace, principal + "\n" + idempotency_key)
//   command_id = "place-" + order_id
//   action id  = uuid_v5(kIdNamespace, principal + "\n" + key + "\n" + action + "\n" + order_id)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderline::gateway {

// The fixed namespace of every name-based id the gateway derives. Never change it: ids of
// retried requests would stop matching.
inline constexpr std::string_view kIdNamespace = "8a4c7b1e-2f39-4d6a-9e0b-5c3f1a7d2e64";

// Principal label of requests without a token (public routes). With a token, ids derive from
// the principal's subject ("account:<key>", "oidc:<sub>", "service:admin"): route_support.h,
// principal_label().
inline constexpr std::string_view kAnonymous = "anonymous";
// Kept for code written before accounts; new code uses principal_label().
inline constexpr std::string_view kStaff = "staff";

// RFC 4122 version 5 (SHA-1, name based) UUID, lower-case canonical text.
// namespace_uuid must be a canonical UUID string.
std::string uuid_v5(std::string_view namespace_uuid, std::string_view name);
// Random (version 4) UUID.
std::string uuid_v4();

// 32 random hex characters.
std::string new_request_id();
// The client's X-Request-Id if it is short and printable (so it is safe to log and echo).
bool acceptable_request_id(std::string_view id);

// The trace id (32 lower-case hex) of a W3C Trace Context `traceparent` header
// ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); nullopt when the header is
// malformed or carries an all-zero id, as the spec says to ignore such a header.
std::optional<std::string> traceparent_trace_id(std::string_view header);

// SHA-256 (OpenSSL EVP), raw 32 bytes.
std::string sha256(std::string_view data);

// Equality that takes the same time wherever the inputs differ (hashes both, then
// CRYPTO_memcmp), for bearer tokens.
bool constant_time_equal(std::string_view a, std::string_view b);

// If-Match: `3`, `"3"`, `W/"3"`. nullopt when absent (use -1); an error when not an
// integer >= 0.
struct IfMatch {
  bool ok = true;
  std::int64_t expected_version = -1;  // -1: any version
};
IfMatch parse_if_match(std::optional<std::string_view> header);

// Wall clock, microseconds since the epoch.
std::int64_t now_us();

}  // namespace orderline::gateway
