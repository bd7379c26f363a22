#pragma once
// Child processes and temporary directories for integration and e2e tests.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace orderline::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `orderd serve` on a free port over a data directory. The constructor returns once the
// server has written its port file (it only does so when it is ready to serve).
class OrderdProcess {
 public:
  static constexpr const char* kAdminToken = "test-admin-token";

  explicit OrderdProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~OrderdProcess();  // SIGTERM, then waits
  OrderdProcess(const OrderdProcess&) = delete;
  OrderdProcess& operator=(const OrderdProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  void kill9();      // SIGKILL and reap: no shutdown code runs
  void terminate();  // SIGTERM (graceful)
  int wait();        // reaps; returns the exit status (128+signal if killed)
  // What the server wrote to stdout/stderr so far (for failure messages).
  std::string output() const;

 private:
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Runs a command to completion and returns its stdout; exit status in *status if given.
std::string run_command(const std::vector<std::string>& argv, int* status = nullptr);

}  // namespace orderline::testing
