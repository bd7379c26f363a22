#pragma once
// URL-safe base64 without padding, for opaque tokens (positions, cursors).
#include <optional>
#include <string>
#include <string_view>

namespace orderline::eventstore {

std::string base64url_encode(std::string_view bytes);
// nullopt when the text holds a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace orderline::eventstore
