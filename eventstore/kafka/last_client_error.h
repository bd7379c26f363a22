#pragma once
// The last trouble a librdkafka client reported through its log or error callback, kept for
// the exception that ends a start-up or a read. librdkafka's return codes are generic ("Local:
// Broker transport failure") where its log line names the cause ("SSL handshake failed: ...
// certificate verify failed", "Authentication failed"). Callbacks run on librdkafka's threads.
//
//   rd_kafka_conf_set_log_cb(conf, on_log);   // on_log: errors.set(message) for levels <= 4,
//                                             // set_summary(message) for facility "ERROR"
//   ...
//   throw std::runtime_error("cannot reach Kafka at " + brokers + ": " + err + errors.suffix());
#include <mutex>
#include <string>

namespace orderline::eventstore {

class LastClientError {
 public:
  void set(std::string text) {
    std::lock_guard lock(mutex_);
    last_ = std::move(text);
    summary_only_ = false;
  }
  // A line that only sums up (librdkafka's error events, "1/1 brokers are down"): kept while
  // no cause was reported, never in place of one.
  void set_summary(std::string text) {
    std::lock_guard lock(mutex_);
    if (!last_.empty() && !summary_only_) return;
    last_ = std::move(text);
    summary_only_ = true;
  }
  // "" if nothing was reported.
  std::string get() const {
    std::lock_guard lock(mutex_);
    return last_;
  }
  // " (last client error: ...)" to end a message with, or "" if nothing was reported.
  std::string suffix() const {
    auto last = get();
    return last.empty() ? last : " (last client error: " + last + ")";
  }

 private:
  mutable std::mutex mutex_;
  std::string last_;
  bool summary_only_ = false;  // last_ came from set_summary
};

}  // namespace orderline::eventstore
