#include "commands/timers.h"

#include <chrono>

namespace orderline::commands {

TimerThread::TimerThread() : thread_([this] { run(); }) {}

TimerThread::~TimerThread() { stop(); }

void TimerThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerThread::at(std::int64_t due_us, std::function<void()> action) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    due_.emplace(due_us, std::move(action));
  }
  changed_.notify_all();
}

void TimerThread::run() {
  using namespace std::chrono;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (due_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto first = system_clock::time_point(microseconds(due_.begin()->first));
    if (system_clock::now() < first) {
      changed_.wait_until(lock, first);  // woken early by an earlier timer or stop()
      continue;
    }
    auto action = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    action();
    lock.lock();
  }
}

void ManualTimers::at(std::int64_t due_us, std::function<void()> action) {
  std::unique_lock lock(mutex_);
  if (due_us > now_us_) {
    due_.emplace(due_us, std::move(action));
    return;
  }
  lock.unlock();
  action();
}

std::int64_t ManualTimers::now_us() const {
  std::lock_guard lock(mutex_);
  return now_us_;
}

void ManualTimers::advance_to(std::int64_t now_us) {
  std::unique_lock lock(mutex_);
  now_us_ = std::max(now_us_, now_us);
  while (!due_.empty() && due_.begin()->first <= now_us_) {
    auto action = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    action();
    lock.lock();
  }
}

std::size_t ManualTimers::pending() const {
  std::lock_guard lock(mutex_);
  return due_.size();
}

}  // namespace orderline::commands
