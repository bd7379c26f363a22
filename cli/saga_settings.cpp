#include "cli/saga_settings.h"

#include <CLI/CLI.hpp>

namespace orderline::cli {

void add_saga_settings_flags(CLI::App& command, SagaSettings& settings) {
  command.add_option("--payment-decline-rate", settings.payment_decline_rate,
                     "Simulated payment provider: share of authorisations declined (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command.add_option("--payment-requires-action-rate", settings.payment_requires_action_rate,
                     "Simulated payment provider: share of authorisations that need the customer's action (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command.add_option("--payment-latency-ms", settings.payment_latency_ms, "Simulated payment provider: answer delay")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  command.add_option("--payment-seed", settings.payment_seed, "Simulated payment provider: seed of its decisions")
      ->capture_default_str();
  command.add_option("--reservation-ttl-s", settings.reservation_ttl_s,
                     "Seconds reserved stock waits for payment before the order expires")
      ->check(CLI::Range(1, 30 * 24 * 3600))
      ->capture_default_str();
}

}  // namespace orderline::cli
