#include "gateway/auth/login_limiter.h"

#include <algorithm>

namespace orderline::auth {

bool LoginLimiter::over(std::unordered_map<std::string, Window>& windows, std::string_view key, int limit,
                        std::int64_t now, std::int64_t& retry_after) {
  if (windows.size() >= config_.max_entries) {
    // Drop finished windows; if all are live, start over rather than grow without bound.
    std::erase_if(windows, [&](const auto& entry) { return now - entry.second.start >= 60; });
    if (windows.size() >= config_.max_entries) windows.clear();
  }
  auto& w = windows[std::string(key)];
  if (now - w.start >= 60) w = Window{now, 0};
  ++w.count;
  if (w.count <= limit) return false;
  retry_after = std::max<std::int64_t>(1, w.start + 60 - now);
  return true;
}

LoginLimiter::Decision LoginLimiter::attempt(std::string_view address, std::string_view account, std::int64_t now_s) {
  std::lock_guard lock(mutex_);
  Decision d;
  // Every attempt counts for its address, even one at a locked account: guessing across
  // many accounts from one place is what the address limit is for.
  std::int64_t address_retry = 0;
  const bool address_over = over(addresses_, address, config_.per_address_per_minute, now_s, address_retry);
  if (!account.empty()) {
    auto it = failures_.find(std::string(account));
    if (it != failures_.end() && it->second.locked_until > now_s) {
      d.verdict = Verdict::locked;
      d.retry_after_s = it->second.locked_until - now_s;
      return d;
    }
  }
  std::int64_t retry = 0;
  if (address_over) {
    d.verdict = Verdict::rate_limited;
    d.retry_after_s = address_retry;
  } else if (!account.empty() && over(accounts_, account, config_.per_account_per_minute, now_s, retry)) {
    d.verdict = Verdict::rate_limited;
    d.retry_after_s = retry;
  }
  return d;
}

void LoginLimiter::failed(std::string_view account, std::int64_t now_s) {
  std::lock_guard lock(mutex_);
  if (failures_.size() >= config_.max_entries) {
    std::erase_if(failures_, [&](const auto& e) { return e.second.locked_until <= now_s; });
    if (failures_.size() >= config_.max_entries) failures_.clear();
  }
  auto& f = failures_[std::string(account)];
  if (f.locked_until != 0 && f.locked_until <= now_s) f = Failures{};  // a served lockout starts afresh
  if (++f.consecutive >= config_.lockout_failures) f.locked_until = now_s + config_.lockout_s;
}

void LoginLimiter::succeeded(std::string_view account) {
  std::lock_guard lock(mutex_);
  failures_.erase(std::string(account));
}

}  // namespace orderline::auth
