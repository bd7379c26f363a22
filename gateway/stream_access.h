#pragma once
// Who may open /api/v1/stream and who may follow every order. The route itself is public;
// each subscription is checked with the caller's token (issue 6's accounts and roles).
#include <optional>
#include <string_view>

#include "gateway/access.h"
#include "gateway/exchange.h"
#include "gateway/server.h"

namespace orderline::gateway {

inline constexpr std::string_view kStreamPath = "/api/v1/stream";

// Browsers send Origin on a WebSocket upgrade and let any page open one, so the Origin is
// the defence against another site's page using a visitor's browser (CSWSH). Allowed: no
// Origin (not a browser), an Origin whose host:port is the Host the client asked for (same
// origin), or one listed in config.allowed_origins ("*" allows any).
bool origin_allowed(const GatewayConfig& config, std::optional<std::string_view> origin,
                    std::optional<std::string_view> host);

// The refusal of an upgrade to /api/v1/stream (403 origin_not_allowed, 503 when the server
// is stopping, has no live updates or too many streams), or nullopt to go ahead.
std::optional<Response> stream_upgrade_refusal(const GatewayConfig& config, const Services& services,
                                               std::size_t open_streams, bool stopping,
                                               std::optional<std::string_view> origin,
                                               std::optional<std::string_view> host);

// Who subscribes: the "token" of the subscribe frame, else the upgrade request's
// Authorization header, checked by gateway::authenticate (so account tokens, OIDC tokens and
// the admin service token all work, and refusals are counted like any other).
struct StreamCaller {
  bool anonymous = true;                     // neither a frame token nor an Authorization header
  std::optional<auth::Principal> principal;  // set when the token checked out
};
StreamCaller stream_caller(const AuthRuntime& auth, std::optional<std::string_view> authorization,
                           std::optional<std::string_view> frame_token);

// Every order ("all"): staff, ops or admin.
bool stream_sees_all(const auth::Principal& principal);

}  // namespace orderline::gateway
