#pragma once
// The metric names the deploy/ files (alert rules, dashboards) use, so tests can check that a
// running process exports each of them: a renamed metric must not leave a rule or panel blind.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

namespace orderline::testing {

// Every orderline_* name in the files under `folder` (comment lines skipped), without the
// _bucket/_sum/_count suffixes of histograms.
inline std::set<std::string> metric_names_used_under(const std::string& folder) {
  static const std::regex kName("orderline_[a-z0-9_]+");
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (line.find_first_not_of(' ') != std::string::npos && line[line.find_first_not_of(' ')] == '#') continue;
      for (auto it = std::sregex_iterator(line.begin(), line.end(), kName); it != std::sregex_iterator(); ++it) {
        std::string name = it->str();
        for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
          if (name.size() > suffix.size() && name.ends_with(suffix)) name.resize(name.size() - suffix.size());
        }
        out.insert(name);
      }
    }
  }
  return out;
}

// Every name the alert rules and the dashboards under `deploy` use.
inline std::set<std::string> metric_names_used_in_deploy(const std::string& deploy) {
  auto used = metric_names_used_under(deploy + "/prometheus/rules");
  const auto in_dashboards = metric_names_used_under(deploy + "/grafana/dashboards");
  used.insert(in_dashboards.begin(), in_dashboards.end());
  return used;
}

}  // namespace orderline::testing
