#pragma once
// Streams no export, replay or analyst tool may ever hand out. Credentials (password hashes,
// API keys) live in streams of their own, "credentials-<id>", so that this one rule keeps them
// out of every copy of the history; personal data elsewhere stays as stored (encrypted with the
// customer's key), so exporting it does not reveal it.
#include <string_view>

namespace orderline::domain {

inline constexpr std::string_view kCredentialsStreamPrefix = "credentials-";
// "account-<account_key>": password hashes and refresh tokens of accounts (issue 6).
inline constexpr std::string_view kAccountStreamPrefix = "account-";

// True for a stream whose events must never leave the engine through an export.
inline bool is_restricted_stream(std::string_view stream_id) {
  return stream_id.starts_with(kCredentialsStreamPrefix) || stream_id.starts_with(kAccountStreamPrefix);
}

}  // namespace orderline::domain
