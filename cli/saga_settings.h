#pragma once
// The order saga's flags, shared by `orderd serve` (which runs the saga in process) and
// `orderd saga` (which runs it alone against Kafka), so both spell and default them alike.
#include <cstdint>

namespace CLI {
class App;
}

namespace orderline::cli {

struct SagaSettings {
  double payment_decline_rate = 0.0;  // simulated provider: share of authorisations declined
  double payment_requires_action_rate = 0.0;  // share answered requires_action (completed by `pay`)
  int payment_latency_ms = 0;         // simulated provider: delay of every answer
  std::uint64_t payment_seed = 0;     // simulated provider: picks who is declined, reproducibly
  int reservation_ttl_s = 900;        // how long reserved stock waits for payment; then the order expires
};

// --payment-decline-rate, --payment-requires-action-rate, --payment-latency-ms, --payment-seed,
// --reservation-ttl-s.
void add_saga_settings_flags(CLI::App& command, SagaSettings& settings);

}  // namespace orderline::cli
