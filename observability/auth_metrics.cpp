#include "observability/auth_metrics.h"

#include <string>

namespace orderline::observability {

AuthMetrics::AuthMetrics(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("orderline_auth_failures_total")
                     .Help("Refused authentications (bearer tokens, logins, refresh tokens), by reason")
                     .Register(registry);
  // Every reason exists from the start (at 0), so rate() and alerts see them before the first failure.
  for (std::size_t i = 0; i < kReasons; ++i) {
    counters_[i] = &family.Add({{"reason", std::string(auth::failure_name(static_cast<auth::Failure>(i)))}});
  }
}

void AuthMetrics::on_auth_failure(auth::Failure reason) {
  const auto index = static_cast<std::size_t>(reason);
  if (index < kReasons) counters_[index]->Increment();
}

}  // namespace orderline::observability
