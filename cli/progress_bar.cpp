#include "cli/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace orderline::cli {

std::string progress_bar(double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  return fmt::format("[{}{}] {:5.1f}%", std::string(filled, '#'), std::string(kWidth - filled, '.'), fraction * 100);
}

ProgressPrinter::ProgressPrinter()
    : tty_(::isatty(STDERR_FILENO) == 1), last_line_(std::chrono::steady_clock::now() - std::chrono::hours(1)) {}

void ProgressPrinter::show(const std::string& line, bool last) {
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    std::cerr << "\r" << line << "\033[K" << (last ? "\n" : "") << std::flush;
  } else if (last || now - last_line_ >= std::chrono::seconds(5)) {
    std::cerr << line << "\n";
    last_line_ = now;
  }
}

}  // namespace orderline::cli
