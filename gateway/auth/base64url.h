#pragma once
// Base64url without padding (RFC 4648 section 5), as JWTs and JWKs use it.
#include <optional>
#include <string>
#include <string_view>

namespace orderline::auth {

std::string base64url_encode(std::string_view bytes);
// nullopt on any character outside the alphabet, on padding, or on an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace orderline::auth
