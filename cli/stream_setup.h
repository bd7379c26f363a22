#pragma once
// What `orderd serve` and `orderd gateway` both need for WebSocket live updates
// (/api/v1/stream): serve's --ws-* flags on the gateway's configuration, and a file
// descriptor limit that fits 10,000 streams. One place, so the two roles cannot drift.
#include "cli/serve_config.h"
#include "gateway/server.h"

namespace orderline::cli {

// --ws-allowed-origin, --ws-max-connections, --ws-queue-limit, --ws-send-buffer,
// --ws-idle-timeout and --ws-replay-limit onto `gateway_config`.
void configure_gateway_streams(const ServeConfig& config, gateway::GatewayConfig& gateway_config);

// Every WebSocket is a file descriptor: 10,000 streams need more than the usual soft limit of
// 1,024, so the soft limit is raised to the hard one (as Go's runtime and nginx do). Logged;
// a refusal leaves the limit as it was.
void raise_open_file_limit();

}  // namespace orderline::cli
