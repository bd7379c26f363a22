#pragma once
// Runs callbacks at a time of the injected clock (microseconds since the epoch, like
// Lookups::now_us). The saga's time-outs and the simulated provider's latency use it instead
// of polling loops. TimerThread sleeps on a condition variable until the earliest due time;
// ManualTimers fire only when a test advances its clock, so time-outs are deterministic.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace orderline::commands {

class Timers {
 public:
  virtual ~Timers() = default;
  // Runs `action` once the clock reaches due_us (at once if it has). Any thread.
  virtual void at(std::int64_t due_us, std::function<void()> action) = 0;
};

// Wall-clock timers on one thread. Callbacks run on that thread and must not block long.
class TimerThread final : public Timers {
 public:
  TimerThread();
  ~TimerThread() override;  // stops; pending callbacks are dropped
  void at(std::int64_t due_us, std::function<void()> action) override;
  void stop();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<std::int64_t, std::function<void()>> due_;
  bool stopping_ = false;
  std::thread thread_;
};

// Timers driven by hand: now_us() is the clock to inject everywhere, advance_to() fires what
// fell due, on the caller's thread.
class ManualTimers final : public Timers {
 public:
  explicit ManualTimers(std::int64_t start_us) : now_us_(start_us) {}
  void at(std::int64_t due_us, std::function<void()> action) override;
  std::int64_t now_us() const;
  // Moves the clock and runs every callback due by then (including ones they add).
  void advance_to(std::int64_t now_us);
  std::size_t pending() const;

 private:
  mutable std::mutex mutex_;
  std::int64_t now_us_;
  std::multimap<std::int64_t, std::function<void()>> due_;
};

}  // namespace orderline::commands
