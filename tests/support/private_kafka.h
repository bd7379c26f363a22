#pragma once
// A Kafka broker of the test's own (scripts/kafka in a temporary directory), for tests that
// need a broker configured unlike the shared one (SASL, TLS); stopped on destruction.
//
//   PrivateKafka kafka({"--tls-client-auth"});
//   kafka.brokers();                          // "127.0.0.1:PORT"
//   kafka.value("ORDERLINE_KAFKA_CA");        // any NAME=VALUE line scripts/kafka printed
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.h"

#ifndef ORDERLINE_SOURCE_DIR
#define ORDERLINE_SOURCE_DIR "."
#endif

namespace orderline::testing {

class PrivateKafka {
 public:
  // `options`: scripts/kafka start's flags beyond --port and --dir. Throws with the script's
  // output when the broker does not start.
  explicit PrivateKafka(const std::vector<std::string>& options) {
    std::vector<std::string> argv = {script_, "start", "--port", "0", "--dir", dir_.path()};
    argv.insert(argv.end(), options.begin(), options.end());
    int status = 0;
    const auto out = run_command(argv, &status);
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (const auto eq = line.find('='); eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (status != 0 || values_.count("ORDERLINE_KAFKA") == 0) {
      throw std::runtime_error("scripts/kafka start failed: " + out);
    }
  }
  ~PrivateKafka() { run_command({script_, "stop", "--dir", dir_.path()}); }
  PrivateKafka(const PrivateKafka&) = delete;
  PrivateKafka& operator=(const PrivateKafka&) = delete;

  const std::string& brokers() const { return values_.at("ORDERLINE_KAFKA"); }
  // A NAME=VALUE line of scripts/kafka start; throws std::out_of_range when it printed none.
  const std::string& value(const std::string& name) const { return values_.at(name); }

 private:
  std::string script_ = ORDERLINE_SOURCE_DIR "/scripts/kafka";
  TempDir dir_;
  std::map<std::string, std::string> values_;
};

}  // namespace orderline::testing
