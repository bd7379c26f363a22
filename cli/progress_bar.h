#pragma once
// The progress display of orderctl's long operations (`projections rebuild`, `import
// superstore`): a bar, redrawn in place on a terminal; on a log, a line every few seconds.
#include <chrono>
#include <string>

namespace orderline::cli {

// "[#############.................]  45.1%" for fraction 0.451 (clamped to [0, 1]).
std::string progress_bar(double fraction);

// Writes progress lines on stderr.
class ProgressPrinter {
 public:
  ProgressPrinter();
  // A terminal gets `line` redrawn in place; a log gets one every 5 seconds, and the last one.
  void show(const std::string& line, bool last = false);

 private:
  bool tty_;
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace orderline::cli
