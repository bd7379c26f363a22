#include "observability/metrics_text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace orderline::observability {
namespace {

bool parse_value(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // strtod needs a terminated string; values are short.
  const std::string copy(text);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

// Parses `{a="x",b="y\"z"}` at the start of `rest`; advances rest past it.
bool parse_labels(std::string_view& rest, std::map<std::string, std::string>& labels) {
  rest.remove_prefix(1);  // '{'
  for (;;) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) return false;
    if (rest.front() == '}') {
      rest.remove_prefix(1);
      return true;
    }
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos || eq + 1 >= rest.size() || rest[eq + 1] != '"') return false;
    std::string name(rest.substr(0, eq));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    rest.remove_prefix(eq + 2);
    std::string value;
    for (;;) {
      if (rest.empty()) return false;
      const char c = rest.front();
      rest.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\' && !rest.empty()) {
        const char escaped = rest.front();
        rest.remove_prefix(1);
        value += escaped == 'n' ? '\n' : escaped;
      } else {
        value += c;
      }
    }
    labels.emplace(std::move(name), std::move(value));
  }
}

std::optional<Sample> parse_line(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  Sample sample;
  const auto name_end = line.find_first_of("{ \t");
  if (name_end == std::string_view::npos) return std::nullopt;
  sample.name = std::string(line.substr(0, name_end));
  std::string_view rest = line.substr(name_end);
  if (rest.front() == '{' && !parse_labels(rest, sample.labels)) return std::nullopt;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  const auto value_end = rest.find_first_of(" \t");  // a timestamp may follow
  if (!parse_value(rest.substr(0, value_end), sample.value)) return std::nullopt;
  return sample;
}

}  // namespace

std::vector<Sample> parse_metrics_text(std::string_view text) {
  std::vector<Sample> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (auto sample = parse_line(text.substr(0, end))) out.push_back(std::move(*sample));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

bool matches(const Sample& sample, const LabelFilter& filter) {
  return std::all_of(filter.begin(), filter.end(), [&](const auto& wanted) {
    auto it = sample.labels.find(wanted.first);
    return it != sample.labels.end() && it->second == wanted.second;
  });
}

double sum_of(const std::vector<Sample>& samples, std::string_view name, const LabelFilter& filter) {
  double total = 0;
  for (const auto& s : samples) {
    if (s.name == name && matches(s, filter)) total += s.value;
  }
  return total;
}

bool has_sample(const std::vector<Sample>& samples, std::string_view name, const LabelFilter& filter) {
  return std::any_of(samples.begin(), samples.end(), [&](const Sample& s) { return s.name == name && matches(s, filter); });
}

std::vector<std::pair<double, double>> buckets_of(const std::vector<Sample>& samples, std::string_view name,
                                                  const LabelFilter& filter) {
  const std::string bucket_name = std::string(name) + "_bucket";
  std::map<double, double> by_bound;
  for (const auto& s : samples) {
    if (s.name != bucket_name || !matches(s, filter)) continue;
    auto le = s.labels.find("le");
    double bound = 0;
    if (le == s.labels.end() || !parse_value(le->second, bound)) continue;
    by_bound[bound] += s.value;
  }
  return {by_bound.begin(), by_bound.end()};
}

std::optional<double> histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets) {
  if (buckets.empty()) return std::nullopt;
  const double total = buckets.back().second;
  if (!(total > 0)) return std::nullopt;
  const double rank = q * total;
  double lower_bound = 0;
  double lower_count = 0;
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return lower_bound;  // beyond the last finite bound: say that bound
      if (count == lower_count) return bound;
      return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count);
    }
    lower_bound = bound;
    lower_count = count;
  }
  return lower_bound;
}

std::vector<std::pair<double, double>> bucket_delta(const std::vector<std::pair<double, double>>& later,
                                                    const std::vector<std::pair<double, double>>& earlier) {
  std::map<double, double> before(earlier.begin(), earlier.end());
  std::vector<std::pair<double, double>> out;
  for (const auto& [bound, count] : later) {
    auto it = before.find(bound);
    out.emplace_back(bound, count - (it == before.end() ? 0 : it->second));
  }
  return out;
}

}  // namespace orderline::observability
