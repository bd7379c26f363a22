#pragma once
// A throw-away database on a PostgreSQL server for one benchmark run: created from the
// server's DSN, dropped (WITH FORCE: projector connections may linger) when it goes away.
#include <unistd.h>

#include <pqxx/pqxx>
#include <string>

namespace orderline::bench {

class ScratchDatabase {
 public:
  ScratchDatabase(const std::string& server_dsn, const std::string& tag)
      : admin_(server_dsn), name_("orderline_" + tag + "_" + std::to_string(::getpid())) {
    const auto slash = server_dsn.find('/', server_dsn.find("://") + 3);
    dsn_ = server_dsn.substr(0, slash) + "/" + name_;
    pqxx::nontransaction(admin_).exec("CREATE DATABASE " + name_);
  }
  ~ScratchDatabase() {
    try {
      pqxx::nontransaction(admin_).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {  // a benchmark's clean-up must not turn a measured run into a crash
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& dsn() const { return dsn_; }

 private:
  pqxx::connection admin_;
  std::string name_;
  std::string dsn_;
};

}  // namespace orderline::bench
