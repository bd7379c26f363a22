#pragma once
// A fresh directory for one benchmark run under $ORDERLINE_BENCH_DIR (default: the system
// temporary directory), removed afterwards. Put it on the disk you want to measure, never on
// tmpfs (fsync would be free there).
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace orderline::bench {

class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("ORDERLINE_BENCH_DIR");
    std::filesystem::path root = base != nullptr && *base != '\0' ? std::filesystem::path(base)
                                                                  : std::filesystem::temp_directory_path();
    std::filesystem::create_directories(root);
    std::string pattern = (root / "orderline-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + root.string());
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace orderline::bench
