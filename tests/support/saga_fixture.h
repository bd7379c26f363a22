#pragma once
// The order saga in process on a temporary directory: a real EmbeddedLog (unsynced: these
// tests are not about durability), the LocalCommandBus, the simulated payment provider and
// the SagaRunner, all on one hand-driven clock (ManualTimers), so time-outs fire exactly when
// a test advances it. The catalogue lookup reads product streams from the log.
//
//   SagaHarness h;
//   h.run(testing::create_product("SKU-1", 1000, 5));
//   h.run(testing::place_order("o1", "c1", {{"SKU-1", 2}}));
//   h.settle();                                   // every saga step has finished
//   EXPECT_EQ(h.order("o1").status, "confirmed");
#include <future>
#include <memory>
#include <string>

#include "commands/local_command_bus.h"
#include "commands/payments/simulated_provider.h"
#include "commands/saga/saga_runner.h"
#include "commands/timers.h"
#include "tests/support/engine_fixture.h"

namespace orderline::testing {

inline constexpr std::int64_t kSagaStartUs = 1'764'000'000'000'000;
inline constexpr std::int64_t kSagaTtlUs = 60'000'000;  // one minute

template <typename State>
State fold_stream(const eventstore::EventLog& log, const std::string& stream_id) {
  auto state = domain::initial_state(stream_id);
  auto records = log.read_stream(stream_id);
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  for (const auto& record : *records.value) {
    if (envelope.ParseFromString(record.value) && event.ParseFromString(envelope.payload())) domain::evolve(state, event);
  }
  return std::get<State>(state);
}

class SagaHarness {
 public:
  explicit SagaHarness(commands::SimulatedProviderOptions payments = {}, std::uint32_t partitions = 4)
      : clock_(kSagaStartUs) {
    eventstore::EmbeddedLogOptions log_options;
    log_options.path = dir_.path() + "/log";
    log_options.partitions = partitions;
    log_options.sync = false;
    log_ = std::make_unique<eventstore::EmbeddedLog>(log_options);
    commands::Lookups lookups;
    lookups.catalogue = [this](std::string_view sku) -> std::optional<domain::ProductSnapshot> {
      auto product = this->product(std::string(sku));
      if (product.version == 0) return std::nullopt;
      return domain::ProductSnapshot{product.sku, product.name, product.price, product.active};
    };
    lookups.customer_exists = [](std::string_view) { return true; };
    lookups.now_us = [this] { return clock_.now_us(); };
    lookups.saga = true;
    bus_ = std::make_unique<commands::LocalCommandBus>(*log_, std::move(lookups), commands::LocalBusOptions{});
    payments.ledger_path = ledger_path();
    start_saga(payments, clock_);
  }
  ~SagaHarness() {
    stop_saga();
    bus_->drain_and_stop();
  }

  // A new provider and runner over the same log, ledger and saga state (a restart of both).
  void start_saga(commands::SimulatedProviderOptions payments, commands::Timers& provider_timers) {
    payments.ledger_path = ledger_path();
    payments_ = std::make_unique<commands::SimulatedPaymentProvider>(payments, provider_timers,
                                                                     [this] { return clock_.now_us(); });
    commands::saga::SagaOptions options;
    options.policy.reservation_ttl_us = kSagaTtlUs;
    options.state_dir = dir_.path() + "/saga";
    saga_ = std::make_unique<commands::saga::SagaRunner>(*log_, *bus_, *payments_, clock_,
                                                         [this] { return clock_.now_us(); }, options);
    saga_->start();
  }
  // Stops the runner without waiting for its steps: what it has not finished stays after its
  // checkpoint. The old runner and provider are kept alive (a late answer must find them).
  void stop_saga() {
    if (!saga_) return;
    saga_->stop();
    retired_.push_back(std::move(saga_));
    retired_payments_.push_back(std::move(payments_));
  }

  commands::CommandReply run(v1::Command command) {
    std::promise<commands::CommandReply> answer;
    auto future = answer.get_future();
    bus_->submit(std::move(command), [&answer](commands::CommandReply reply) { answer.set_value(std::move(reply)); });
    return future.get();
  }

  void settle() {
    ASSERT_TRUE(saga_->wait_idle(std::chrono::seconds(60))) << "the saga did not finish";
  }

  domain::OrderState order(const std::string& id) const {
    return fold_stream<domain::OrderState>(*log_, domain::order_stream(id));
  }
  domain::ProductState product(const std::string& sku) const {
    return fold_stream<domain::ProductState>(*log_, domain::product_stream(sku));
  }
  // Events of a stream by type name, in order.
  std::vector<std::string> types(const std::string& stream_id) const {
    std::vector<std::string> out;
    v1::EventEnvelope envelope;
    const auto records = log_->read_stream(stream_id);
    for (const auto& record : *records.value) {
      if (envelope.ParseFromString(record.value)) out.push_back(envelope.type());
    }
    return out;
  }
  std::uint64_t log_size() const {
    std::uint64_t total = 0;
    for (std::uint32_t p = 0; p < log_->partition_count(); ++p) total += log_->end_offset(p);
    return total;
  }

  std::vector<commands::LedgerEntry> ledger() const { return commands::read_ledger(ledger_path()); }
  std::string ledger_path() const { return dir_.path() + "/payments.ledger"; }
  std::string saga_dir() const { return dir_.path() + "/saga"; }

  commands::ManualTimers& clock() { return clock_; }
  commands::saga::SagaRunner& saga() { return *saga_; }
  commands::LocalCommandBus& bus() { return *bus_; }

 private:
  TempDir dir_;
  commands::ManualTimers clock_;
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::unique_ptr<commands::LocalCommandBus> bus_;
  std::unique_ptr<commands::SimulatedPaymentProvider> payments_;
  std::unique_ptr<commands::saga::SagaRunner> saga_;
  std::vector<std::unique_ptr<commands::saga::SagaRunner>> retired_;
  std::vector<std::unique_ptr<commands::SimulatedPaymentProvider>> retired_payments_;
};

}  // namespace orderline::testing
