#pragma once
// The order saga's running parts, wired the same way wherever the saga runs (`orderd serve`
// beside its bus, `orderd saga` against Kafka alone): one timer thread for time-outs and the
// simulated provider's latency, the simulated payment provider with its durable ledger, and
// the SagaRunner with its checkpoints and due-time index, both in the data directory.
//
//   SagaService saga(log, bus, data_dir, saga_config(settings));
//   saga.start();   // re-arms stored time-outs, follows the log
//   saga.stop();    // unfinished events stay after the checkpoint
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cli/saga_settings.h"
#include "commands/payments/simulated_provider.h"
#include "commands/saga/saga_runner.h"
#include "commands/timers.h"

namespace orderline::cli {

// The order saga and its simulated payment provider (`orderd serve --saga`, on by default).
struct SagaConfig {
  bool enabled = true;                      // off: `pay` authorises and captures at once, no reservations
  commands::SimulatedProviderOptions payments;  // decline rate, latency, seed (ledger_path is set by SagaService)
  std::int64_t reservation_ttl_us = 15LL * 60 * 1'000'000;  // how long stock waits for payment
  commands::saga::SagaObserver* observer = nullptr;          // metrics; must outlive the saga
};

// The flags' settings (seconds, milliseconds) in the units of the parts.
SagaConfig saga_config(const SagaSettings& settings);

class SagaService {
 public:
  // Opens the ledger (<data_dir>/payments.ledger) and the state store (<data_dir>/saga);
  // throws std::runtime_error when either cannot be opened. `log` and `bus` outlive it.
  SagaService(const eventstore::EventLog& log, commands::CommandBus& bus, const std::string& data_dir,
              const SagaConfig& config, std::function<std::int64_t()> now_us);
  ~SagaService();

  void start();
  // Idempotent. The runner stops sending first, then the timers stop.
  void stop();

  commands::saga::SagaRunner& runner() { return *runner_; }
  commands::SimulatedPaymentProvider& payments() { return *payments_; }

 private:
  // In this order: the runner goes first, then the provider, then the timers both use.
  std::unique_ptr<commands::TimerThread> timers_;
  std::unique_ptr<commands::SimulatedPaymentProvider> payments_;
  std::unique_ptr<commands::saga::SagaRunner> runner_;
};

}  // namespace orderline::cli
