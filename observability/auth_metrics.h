#pragma once
// Refused authentications, fed by the gateway through auth::AuthObserver:
//   orderline_auth_failures_total{reason}   counter
// reason is one of auth::Failure's fixed names (missing, expired, bad_signature, locked, ...),
// so the number of series is bounded whatever clients send.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>

#include "gateway/auth/failure.h"

namespace orderline::observability {

class AuthMetrics final : public auth::AuthObserver {
 public:
  explicit AuthMetrics(prometheus::Registry& registry);
  void on_auth_failure(auth::Failure reason) override;

 private:
  static constexpr std::size_t kReasons = static_cast<std::size_t>(auth::Failure::revoked) + 1;
  std::array<prometheus::Counter*, kReasons> counters_{};
};

}  // namespace orderline::observability
