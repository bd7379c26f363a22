#include "cli/stream_setup.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

namespace orderline::cli {

void configure_gateway_streams(const ServeConfig& config, gateway::GatewayConfig& gateway_config) {
  gateway_config.allowed_origins = config.ws_allowed_origins;
  gateway_config.max_streams = config.ws_max_connections;
  gateway_config.stream_queue_limit = config.ws_queue_limit;
  gateway_config.stream_send_buffer = config.ws_send_buffer;
  gateway_config.stream_idle_timeout = std::chrono::seconds(config.ws_idle_timeout_s);
  gateway_config.stream_replay_limit = config.ws_replay_limit;
}

void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const auto before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    spdlog::info("open file limit raised from {} to {}", before, limit.rlim_cur);
  }
}

}  // namespace orderline::cli
