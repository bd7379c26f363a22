#include "observability/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace orderline::observability {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

prometheus::MetricFamily gauge(std::string name, std::string help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after the name, numbered as in proc(5): 3 (state), 4 (ppid), ...
  std::vector<std::string_view> fields;
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  auto field = [&](std::size_t number, std::uint64_t& out) {
    return number - 3 < fields.size() && parse_u64(fields[number - 3], out);
  };
  ProcStat stat;
  if (!field(14, stat.utime_ticks) || !field(15, stat.stime_ticks) || !field(20, stat.threads) ||
      !field(22, stat.start_ticks) || !field(23, stat.vsize_bytes) || !field(24, stat.rss_pages)) {
    return std::nullopt;
  }
  return stat;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat_file) {
  constexpr std::string_view kKey = "btime ";
  for (std::size_t at = 0; at < proc_stat_file.size();) {
    const auto end = proc_stat_file.find('\n', at);
    const auto line = proc_stat_file.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.substr(0, kKey.size()) == kKey) {
      std::uint64_t value = 0;
      if (parse_u64(line.substr(kKey.size()), value)) return value;
      return std::nullopt;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return std::nullopt;
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  const auto stat = parse_proc_stat(read_file("/proc/self/stat"));
  if (stat) {
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    out.push_back(gauge("orderline_process_cpu_seconds_total", "User and system CPU time of the process",
                        static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks,
                        prometheus::MetricType::Counter));
    out.push_back(gauge("orderline_process_resident_memory_bytes", "Resident memory of the process",
                        static_cast<double>(stat->rss_pages) * page));
    out.push_back(gauge("orderline_process_virtual_memory_bytes", "Virtual memory of the process",
                        static_cast<double>(stat->vsize_bytes)));
    out.push_back(gauge("orderline_process_threads", "Threads of the process", static_cast<double>(stat->threads)));
    if (const auto boot = parse_boot_time(read_file("/proc/stat"))) {
      out.push_back(gauge("orderline_process_start_time_seconds", "Start time of the process since the Unix epoch",
                          static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) / ticks));
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) {
    // The directory iterator holds one descriptor of its own while counting.
    out.push_back(gauge("orderline_process_open_fds", "Open file descriptors of the process",
                        static_cast<double>(fds > 0 ? fds - 1 : 0)));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(gauge("orderline_process_max_fds", "Most file descriptors the process may open",
                        static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace orderline::observability
