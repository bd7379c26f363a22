#pragma once
// What the saga runner tells an observer (metrics), so this layer knows nothing of
// Prometheus. Called on the runner's, the bus's and the timers' threads: thread-safe, cheap.
#include <string_view>

namespace orderline::commands::saga {

class SagaObserver {
 public:
  virtual ~SagaObserver() = default;
  // One step finished: step is the command or payment operation ("reserve_stock",
  // "record_payment", "authorize", ...), result "accepted", "rejected", or the provider's
  // outcome ("authorized", "declined", ...).
  virtual void on_step(std::string_view step, std::string_view result) = 0;
  // An order the saga runs reached an end of the saga: confirmed, out_of_stock,
  // payment_declined, expired, cancelled (by the customer or staff).
  virtual void on_outcome(std::string_view outcome) = 0;
};

}  // namespace orderline::commands::saga
