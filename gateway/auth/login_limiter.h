#pragma once
// Brakes on password guessing: a rate limit per client address and per account (fixed
// one-minute windows), and a lockout of an account after repeated failed logins. In memory,
// per gateway process: a restart forgets, and with several gateways each counts its own
// attempts. The lockout of an existing account is also recorded in its stream (LoginFailed,
// AccountLocked), which every gateway reads at login: that one is shared (docs/security.md).
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace orderline::auth {

struct LimiterConfig {
  int per_address_per_minute = 30;  // login/register attempts from one address
  int per_account_per_minute = 10;  // login attempts for one account (e-mail)
  int lockout_failures = 5;         // consecutive failed logins that lock the account
  std::int64_t lockout_s = 900;     // how long a lockout lasts
  std::size_t max_entries = 100'000;  // per map; beyond, the oldest windows are dropped
};

class LoginLimiter {
 public:
  enum class Verdict { allowed, rate_limited, locked };
  struct Decision {
    Verdict verdict = Verdict::allowed;
    std::int64_t retry_after_s = 0;
  };

  explicit LoginLimiter(LimiterConfig config) : config_(config) {}
  const LimiterConfig& config() const { return config_; }

  // Counts an attempt for the address and (if non-empty) the account; refuses when either
  // is over its limit or the account is locked.
  Decision attempt(std::string_view address, std::string_view account, std::int64_t now_s);
  // A wrong password: counts towards the lockout.
  void failed(std::string_view account, std::int64_t now_s);
  // A good password: the count starts again.
  void succeeded(std::string_view account);

 private:
  struct Window {
    std::int64_t start = 0;
    int count = 0;
  };
  struct Failures {
    int consecutive = 0;
    std::int64_t locked_until = 0;
  };
  bool over(std::unordered_map<std::string, Window>& windows, std::string_view key, int limit, std::int64_t now,
            std::int64_t& retry_after);

  LimiterConfig config_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> addresses_;
  std::unordered_map<std::string, Window> accounts_;
  std::unordered_map<std::string, Failures> failures_;
};

}  // namespace orderline::auth
