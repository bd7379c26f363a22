#pragma once
// Where a password-reset token goes once the account's stream has recorded its hash. A real
// deployment sends it by e-mail or SMS through an implementation of its own (Services::
// reset_sender); the built-in one only appends it to a file of the server, for development
// and tests: whoever can read that file can reset any account that asked for a reset.
#include <cstdint>
#include <mutex>
#include <string>

namespace orderline::auth {

class ResetTokenSender {
 public:
  virtual ~ResetTokenSender() = default;
  // Called off the network threads, once per accepted request. The token is the secret: only
  // the owner of `email` may see it. False when it could not be handed on.
  virtual bool send(const std::string& email, const std::string& token, std::int64_t expires_at_s) = 0;
};

// One JSON line per token, {"email","token","expires_at"}, appended to `path` (created with
// mode 0600, its folder too). Development only (see above).
class FileResetTokenSender final : public ResetTokenSender {
 public:
  explicit FileResetTokenSender(std::string path);
  bool send(const std::string& email, const std::string& token, std::int64_t expires_at_s) override;

 private:
  std::string path_;
  std::mutex mutex_;
};

}  // namespace orderline::auth
