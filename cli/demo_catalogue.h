#pragma once
// The demo catalogue seeded into an empty log, so a new user can order at once.
#include "commands/command_bus.h"
#include "eventstore/position.h"

namespace orderline::cli {

// Submits the demo products (deterministic command ids: seeding twice changes nothing) and
// waits for their outcomes; returns the position the read models must reach to show them.
// Throws std::runtime_error if a product cannot be created.
eventstore::PositionVector seed_demo_catalogue(commands::CommandBus& bus);

}  // namespace orderline::cli
