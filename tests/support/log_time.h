#pragma once
// Log times in tests: an instant to cut exports and as_of reads at.
#include <chrono>
#include <string>
#include <thread>

#include "gateway/json_mapping.h"

namespace orderline::testing {

// Now as RFC 3339, a few milliseconds clear of the writes before and after it (so it falls
// strictly between their log times, which are this machine's clock -- milliseconds in Kafka;
// this is separation, not a timing assertion).
inline std::string instant_between() {
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  return gateway::rfc3339_utc(now);
}

}  // namespace orderline::testing
