#pragma once
// Who may open /api/v1/stream and who may follow every order. Kept in one place so the
// accounts and roles of a later issue replace exactly this.
#include <optional>
#include <string_view>

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

// Staff may subscribe to every order: the admin token as "Authorization: Bearer ..." on the
// upgrade request, or as "token" in the subscribe frame.
bool stream_staff(const GatewayConfig& config, std::optional<std::string_view> authorization,
                  std::optional<std::string_view> frame_token);

}  // namespace orderline::gateway
