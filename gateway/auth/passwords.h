#pragma once
// Passwords: the rules a new one must meet (clear messages for problem+json), argon2id
// hashing with libsodium (crypto_pwhash_str: the salt and cost travel inside the hash), and a
// small pool of worker threads, so hashing never runs on the gateway's network threads.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace orderline::auth {

inline constexpr std::size_t kMinPasswordLength = 10;   // characters (code points)
inline constexpr std::size_t kMaxPasswordLength = 256;  // characters; longer only costs hashing time

// Messages for every rule the password breaks (empty: acceptable). email: the account's
// address, whose name part must not be in the password.
std::vector<std::string> password_problems(std::string_view password, std::string_view email);

// libsodium's cost presets: interactive (the default, ~64 MiB), moderate, and min (tests
// only: fast, and weak).
struct PasswordCost {
  unsigned long long ops;
  std::size_t mem;
  static PasswordCost interactive();
  static PasswordCost moderate();
  static PasswordCost min();
  // "interactive", "moderate", "min"; nullopt for anything else.
  static std::optional<PasswordCost> named(std::string_view name);
};

// "$argon2id$v=19$m=...". nullopt when memory could not be had.
std::optional<std::string> hash_password(std::string_view password, PasswordCost cost);
// Takes as long as hashing; false for a wrong password or a hash that is not argon2id.
bool verify_password(std::string_view hash, std::string_view password);

// Bounded queue of hashing jobs and the threads that run them. submit() is false when the
// queue is full (the gateway answers 503 then, never queueing without limit).
class PasswordWorkers {
 public:
  PasswordWorkers(int threads, std::size_t queue_capacity);
  ~PasswordWorkers();  // finishes queued jobs, joins
  PasswordWorkers(const PasswordWorkers&) = delete;
  PasswordWorkers& operator=(const PasswordWorkers&) = delete;

  bool submit(std::function<void()> job);

 private:
  void run();

  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace orderline::auth
