#include "gateway/stream_access.h"

#include <algorithm>
#include <string>

#include "gateway/problem.h"
#include "gateway/request_ids.h"

namespace orderline::gateway {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "https://shop.example:8443" -> "shop.example:8443"; "" when it is not scheme://host.
std::string_view origin_authority(std::string_view origin) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  auto rest = origin.substr(scheme_end + 3);
  if (rest.find_first_of("/?#@") != std::string_view::npos) return {};
  return rest;
}

}  // namespace

bool origin_allowed(const GatewayConfig& config, std::optional<std::string_view> origin,
                    std::optional<std::string_view> host) {
  if (!origin) return true;
  const auto wanted = lower(trim(*origin));
  for (const auto& allowed : config.allowed_origins) {
    if (allowed == "*" || lower(allowed) == wanted) return true;
  }
  const auto authority = origin_authority(wanted);
  return host && !authority.empty() && authority == lower(trim(*host));
}

std::optional<Response> stream_upgrade_refusal(const GatewayConfig& config, const Services& services,
                                               std::size_t open_streams, bool stopping,
                                               std::optional<std::string_view> origin,
                                               std::optional<std::string_view> host) {
  if (!origin_allowed(config, origin, host)) {
    auto r = problem(403, "origin_not_allowed",
                     "WebSocket connections from origin " + std::string(origin->substr(0, 200)) +
                         " are not allowed (see --ws-allowed-origin)");
    r.close = true;
    return r;
  }
  if (stopping || !services.stream_hub) {
    auto r = problem(503, "unavailable", stopping ? "the server is stopping" : "live updates are not enabled");
    r.close = true;
    return r;
  }
  if (open_streams >= config.max_streams) {
    auto r = problem(503, "too_many_connections", "the server has too many open WebSocket connections");
    r.headers.emplace_back("Retry-After", "1");
    r.close = true;
    return r;
  }
  return std::nullopt;
}

StreamCaller stream_caller(const AuthRuntime& auth, std::optional<std::string_view> authorization,
                           std::optional<std::string_view> frame_token) {
  StreamCaller caller;
  if (frame_token) {
    caller.anonymous = false;
    const std::string header = "Bearer " + std::string(trim(*frame_token));
    auto checked = authenticate(auth, std::string_view(header));
    if (checked.ok()) caller.principal = std::move(*checked.value);
    return caller;
  }
  if (!authorization) return caller;
  caller.anonymous = false;
  auto checked = authenticate(auth, authorization);
  if (checked.ok()) caller.principal = std::move(*checked.value);
  return caller;
}

bool stream_sees_all(const auth::Principal& principal) {
  return principal.any_of(auth::Role::staff | auth::Role::ops | auth::Role::admin);
}

}  // namespace orderline::gateway
