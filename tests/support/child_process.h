#pragma once
// Any server binary as a child process of a test (Prometheus, ...): started with its output
// in a file, stopped with SIGTERM (SIGKILL after a bound) when the object goes.
//
//   ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + config, ...}, dir + "/prom.log");
//   ... prometheus.output() in failure messages ...
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace orderline::testing {

class ChildProcess {
 public:
  // argv[0] is the binary's path. Throws when it cannot be started.
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // SIGTERM, then SIGKILL if it has not exited within `grace`; reaps it.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  bool running();  // false once it has exited (it is then reaped)
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released), for
// servers that cannot report the port they chose. Another process may take it in between;
// tests use it for one server at a time.
std::uint16_t free_loopback_port();

}  // namespace orderline::testing
