#pragma once
// Histogram bucket boundaries shared by the families, so latencies of HTTP requests, commands
// and appends can be compared bucket for bucket on one dashboard.
#include <vector>

namespace orderline::observability {

// Seconds, 250 us to 10 s: an fsync is ~1-5 ms, a healthy request a few ms, and the command
// deadline 5 s (beyond it the gateway answers 504).
inline std::vector<double> latency_buckets() {
  return {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// Items per batch, 1 to 4096 in powers of two (max_batch defaults to 512 commands; the
// projector reads up to 2048 events per batch).
inline std::vector<double> batch_size_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
}

// Events per PostgreSQL transaction, 1 to 16384 in powers of two (the projector takes up to
// 16384 events per transaction when catching up).
inline std::vector<double> pg_batch_size_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
}

}  // namespace orderline::observability
