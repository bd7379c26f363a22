#pragma once
// Building the metric families that collectors read at scrape time (engine gauges, Kafka
// statistics): a family with its name, help and type, and one labelled gauge sample in it.
#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace orderline::observability {

inline prometheus::MetricFamily family(std::string name, std::string help,
                                       prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

inline void add_gauge(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  f.metric.push_back(std::move(metric));
}

}  // namespace orderline::observability
