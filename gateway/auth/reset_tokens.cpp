#include "gateway/auth/reset_tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

namespace orderline::auth {

FileResetTokenSender::FileResetTokenSender(std::string path) : path_(std::move(path)) {}

bool FileResetTokenSender::send(const std::string& email, const std::string& token, std::int64_t expires_at_s) {
  const std::string line =
      boost::json::serialize(boost::json::object{{"email", email}, {"token", token}, {"expires_at", expires_at_s}}) +
      "\n";
  std::lock_guard lock(mutex_);
  std::error_code ignored;
  const auto folder = std::filesystem::path(path_).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
  // 0600: the tokens are secrets, whatever the umask says.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  return ::close(fd) == 0 && written;
}

}  // namespace orderline::auth
