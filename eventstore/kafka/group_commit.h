#pragma once
// Group commit: concurrent callers' jobs run together in batches, one batch at a time.
//
// Why: a Kafka transaction costs a few broker round trips whatever it carries, and a
// producer runs one transaction at a time. The embedded bus appends from one worker per
// partition; taking turns on the producer capped Kafka mode at one partition's batch per
// transaction. Here the first caller to find no batch running leads: it takes every job
// queued so far (its own included) and runs them as one batch, while later callers queue
// for the next one. Nobody waits for a timer, so a lone caller pays no extra latency.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace orderline::eventstore {

template <class Job>
class GroupCommit {
 public:
  explicit GroupCommit(std::size_t max_jobs_per_batch) : max_jobs_(max_jobs_per_batch == 0 ? 1 : max_jobs_per_batch) {}

  // Returns once `job` has run, in this caller's batch or another's. `run_batch(jobs)` must
  // settle every job it is given; it runs without the queue's lock and never concurrently
  // with another batch. If it throws, the exception reaches the leading caller only; the
  // other jobs of that batch count as run (they must carry a failure by default).
  template <class RunBatch>
  void submit(Job& job, RunBatch&& run_batch) {
    Entry entry{&job};
    std::unique_lock lock(mutex_);
    queue_.push_back(&entry);
    for (;;) {
      turn_.wait(lock, [&] { return entry.done || !running_; });
      if (entry.done) return;
      running_ = true;
      std::vector<Entry*> taken;
      std::vector<Job*> jobs;
      while (!queue_.empty() && taken.size() < max_jobs_) {
        taken.push_back(queue_.front());
        jobs.push_back(queue_.front()->job);
        queue_.pop_front();
      }
      lock.unlock();
      {
        // Marks the batch run and hands the turn on, also when run_batch throws.
        struct Finish {
          GroupCommit& self;
          std::vector<Entry*>& taken;
          ~Finish() {
            {
              std::lock_guard relock(self.mutex_);
              for (auto* e : taken) e->done = true;
              self.running_ = false;
              ++self.batches_;
            }
            self.turn_.notify_all();
          }
        } finish{*this, taken};
        run_batch(jobs);
      }
      lock.lock();
    }
  }

  std::size_t batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  struct Entry {
    Job* job;
    bool done = false;
  };
  const std::size_t max_jobs_;
  mutable std::mutex mutex_;
  std::condition_variable turn_;
  std::deque<Entry*> queue_;
  bool running_ = false;
  std::size_t batches_ = 0;
};

}  // namespace orderline::eventstore
