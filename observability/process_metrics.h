#pragma once
// Metrics of the process itself, read from /proc/self at scrape time (Linux only). They mirror
// the standard process_* metrics of Prometheus client libraries, under the orderline_ prefix:
//   orderline_process_cpu_seconds_total         counter: user + system CPU time
//   orderline_process_resident_memory_bytes     gauge
//   orderline_process_virtual_memory_bytes      gauge
//   orderline_process_open_fds                  gauge: open file descriptors
//   orderline_process_max_fds                   gauge: the soft RLIMIT_NOFILE
//   orderline_process_threads                   gauge
//   orderline_process_start_time_seconds        gauge: since the Unix epoch
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace orderline::observability {

// The fields of /proc/<pid>/stat the metrics need, in their raw units.
struct ProcStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t threads = 0;
  std::uint64_t start_ticks = 0;  // after boot
  std::uint64_t vsize_bytes = 0;
  std::uint64_t rss_pages = 0;
};

// Parses the one line of /proc/<pid>/stat. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// "btime" of /proc/stat: boot time, seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat_file);

class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace orderline::observability
