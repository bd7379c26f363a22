#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef ORDERD_PATH
#define ORDERD_PATH "orderd"
#endif

namespace orderline::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

[[noreturn]] void exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "orderline-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

OrderdProcess::OrderdProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), log_path_(data_dir_ + ".orderd.log") {
  const std::string port_file = data_dir_ + ".port";
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {ORDERD_PATH,   "serve",     "--data-dir", data_dir_,  "--port",
                                   "0",           "--port-file", port_file,  "--admin-token",
                                   kAdminToken,   "--log-level", "warn",
                                   // Weak, fast argon2id: tests register and log in many times.
                                   "--password-cost", "min",
                                   // Tests log in and register from one address, many times.
                                   // (These flags take their last value: extra_args may override.)
                                   "--login-per-address", "100000"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // scripts/test exports ORDERLINE_PG for the PostgreSQL tests, and orderd reads it as --pg:
    // servers under test must not all project into that one database; a test wanting
    // PostgreSQL passes --pg with a database of its own.
    ::unsetenv("ORDERLINE_PG");
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    exec(argv);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(port_file)) {
      port_ = static_cast<std::uint16_t>(std::stoi(read_file(port_file)));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("orderd exited during start-up:\n" + output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
  throw std::runtime_error("orderd did not become ready in 120 s:\n" + output());
}

OrderdProcess::~OrderdProcess() {
  if (pid_ > 0) {
    terminate();
    wait();
  }
}

void OrderdProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait();
}

void OrderdProcess::terminate() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

int OrderdProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string OrderdProcess::output() const { return read_file(log_path_); }

std::string run_command(const std::vector<std::string>& argv, int* status) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(pipe_fds[1], 1);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    exec(argv);
  }
  ::close(pipe_fds[1]);
  std::string out;
  char buffer[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int raw = 0;
  ::waitpid(child, &raw, 0);
  if (status) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return out;
}

}  // namespace orderline::testing
