#include "cli/saga_service.h"

#include "cli/data_dir_layout.h"

namespace orderline::cli {

SagaConfig saga_config(const SagaSettings& settings) {
  SagaConfig config;
  config.payments.decline_rate = settings.payment_decline_rate;
  config.payments.requires_action_rate = settings.payment_requires_action_rate;
  config.payments.latency_us = static_cast<std::int64_t>(settings.payment_latency_ms) * 1000;
  config.payments.seed = settings.payment_seed;
  config.reservation_ttl_us = static_cast<std::int64_t>(settings.reservation_ttl_s) * 1'000'000;
  return config;
}

SagaService::SagaService(const eventstore::EventLog& log, commands::CommandBus& bus, const std::string& data_dir,
                         const SagaConfig& config, std::function<std::int64_t()> now_us)
    : timers_(std::make_unique<commands::TimerThread>()) {
  auto payment_options = config.payments;
  payment_options.ledger_path = data_dir + "/" + data_dir::kPaymentLedger;
  payments_ = std::make_unique<commands::SimulatedPaymentProvider>(payment_options, *timers_, now_us);
  commands::saga::SagaOptions options;
  options.policy.reservation_ttl_us = config.reservation_ttl_us;
  options.state_dir = data_dir + "/" + data_dir::kSaga;
  options.observer = config.observer;
  runner_ = std::make_unique<commands::saga::SagaRunner>(log, bus, *payments_, *timers_, std::move(now_us), options);
}

SagaService::~SagaService() { stop(); }

void SagaService::start() { runner_->start(); }

void SagaService::stop() {
  runner_->stop();
  timers_->stop();
}

}  // namespace orderline::cli
