#pragma once
// main() of each role of the distributed deployment (DESIGN "Two deployments"): each runs
// until SIGTERM/SIGINT and returns the process exit status.
#include "cli/role_config.h"

namespace orderline::cli {

int run_gateway(const GatewayRoleConfig& config);
// Exit status 2 when the processor was fenced (another instance with its id took over).
int run_processor(const ProcessorRoleConfig& config);
int run_projector(const ProjectorRoleConfig& config);
// The order saga alone; a singleton (SagaRoleConfig).
int run_saga(const SagaRoleConfig& config);

}  // namespace orderline::cli
