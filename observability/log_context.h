#pragma once
// The ids a log line carries besides its message: which request chain it belongs to
// (correlation id) and which command caused the work (causation id). spdlog has no mapped
// diagnostic context in Debian's 1.10, so the ids of the work a thread is doing sit in a
// thread-local that the JSON formatter (json_log_formatter.h) reads. Header-only and free of
// dependencies, so every layer (gateway, commands, projections) may set it.
//
//   {
//     ScopedLogContext scope(envelope.correlation_id(), envelope.causation_id());
//     spdlog::error("projection {} failed", name);  // the line carries both ids
//   }
//
// Work that hops threads (a reply posted to another strand) sets the scope again there.
#include <string_view>

namespace orderline::observability {

struct LogContext {
  std::string_view correlation_id;  // the request chain (X-Request-Id / traceparent trace id)
  std::string_view causation_id;    // the command that caused the work (its command id)
};

// The context of the calling thread; empty ids when none is set. The views must outlive the
// scope that set them (ScopedLogContext's callers keep the strings alive).
inline LogContext& current_log_context() {
  thread_local LogContext context;
  return context;
}

// Sets the thread's context for a block and restores the previous one after it (scopes nest).
class ScopedLogContext {
 public:
  ScopedLogContext(std::string_view correlation_id, std::string_view causation_id = {})
      : saved_(current_log_context()) {
    current_log_context() = LogContext{correlation_id, causation_id};
  }
  ~ScopedLogContext() { current_log_context() = saved_; }
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext saved_;
};

}  // namespace orderline::observability
