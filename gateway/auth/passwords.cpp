#include "gateway/auth/passwords.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace orderline::auth {
namespace {

void ensure_sodium() {
  static const int ready = sodium_init();
  (void)ready;  // 0 or 1 (already initialised); -1 would leave every call failing loudly
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The most common passwords that are long enough to pass the length rule.
constexpr std::array<std::string_view, 12> kCommon = {
    "1234567890", "12345678910", "123456789012", "qwertyuiop", "password123", "password1234",
    "iloveyou123", "1q2w3e4r5t", "qwerty123456", "abcdefghij", "letmein1234", "passwordpassword"};

}  // namespace

std::vector<std::string> password_problems(std::string_view password, std::string_view email) {
  std::vector<std::string> problems;
  const auto length = code_points(password);
  if (length < kMinPasswordLength) {
    problems.push_back("must be at least " + std::to_string(kMinPasswordLength) + " characters long");
  }
  if (length > kMaxPasswordLength) {
    problems.push_back("must be at most " + std::to_string(kMaxPasswordLength) + " characters long");
  }
  if (std::any_of(password.begin(), password.end(), [](char c) { return c == '\0'; })) {
    problems.push_back("must not contain NUL characters");
  }
  if (!password.empty() && std::all_of(password.begin(), password.end(), [&](char c) { return c == password[0]; })) {
    problems.push_back("must not be one character repeated");
  }
  const auto lowered = lower(password);
  if (std::find(kCommon.begin(), kCommon.end(), lowered) != kCommon.end()) {
    problems.push_back("is one of the most common passwords");
  }
  const auto name = lower(email.substr(0, email.find('@')));
  if (name.size() >= 3 && lowered.find(name) != std::string::npos) {
    problems.push_back("must not contain the name part of the e-mail address");
  }
  return problems;
}

PasswordCost PasswordCost::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
PasswordCost PasswordCost::moderate() { return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE}; }
PasswordCost PasswordCost::min() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

std::optional<PasswordCost> PasswordCost::named(std::string_view name) {
  if (name == "interactive") return interactive();
  if (name == "moderate") return moderate();
  if (name == "min") return min();
  return std::nullopt;
}

std::optional<std::string> hash_password(std::string_view password, PasswordCost cost) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  if (!hash.starts_with("$argon2id$") || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);  // crypto_pwhash_str_verify reads a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

PasswordWorkers::PasswordWorkers(int threads, std::size_t queue_capacity) : capacity_(queue_capacity) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { run(); });
}

PasswordWorkers::~PasswordWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

bool PasswordWorkers::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= capacity_) return false;
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void PasswordWorkers::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace orderline::auth
