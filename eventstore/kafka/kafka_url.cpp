#include "eventstore/kafka/kafka_url.h"

#include <charconv>

namespace orderline::eventstore {
namespace {

constexpr std::string_view kScheme = "kafka://";

bool valid_host_port(std::string_view server) {
  const auto colon = server.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto port = server.substr(colon + 1);
  int value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size()) return false;
  if (value < 1 || value > 65535) return false;
  for (char c : server.substr(0, colon)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == '[' || c == ']' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// Kafka topic names allow [a-zA-Z0-9._-]; the suffixes add up to 9 characters of 249.
bool valid_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 200) return false;
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool is_kafka_url(std::string_view value) { return value.substr(0, kScheme.size()) == kScheme; }

std::variant<KafkaUrl, std::string> parse_kafka_url(std::string_view url) {
  if (!is_kafka_url(url)) return std::string("the event log URL must start with kafka:// (got \"") + std::string(url) + "\")";
  auto rest = url.substr(kScheme.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return std::string("kafka:// URL without a broker: use kafka://HOST:PORT");
  KafkaUrl parsed;
  for (std::size_t start = 0; start <= rest.size();) {
    const auto comma = rest.find(',', start);
    const auto server = rest.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!valid_host_port(server)) {
      return "bad broker \"" + std::string(server) + "\" in the kafka:// URL: expected HOST:PORT";
    }
    if (!parsed.brokers.empty()) parsed.brokers += ',';
    parsed.brokers += server;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return "bad parameter \"" + std::string(pair) + "\" in the kafka:// URL: expected NAME=VALUE";
    const auto name = pair.substr(0, eq);
    const auto value = pair.substr(eq + 1);
    if (name == "prefix") {
      if (!valid_prefix(value)) {
        return "bad topic prefix \"" + std::string(value) + "\": 1-200 characters of a-z A-Z 0-9 . _ -";
      }
      parsed.topic_prefix = value;
    } else if (name == "replication") {
      int factor = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), factor);
      if (error != std::errc() || end != value.data() + value.size() || factor < 1 || factor > 32) {
        return "bad replication \"" + std::string(value) + "\" in the kafka:// URL: a number from 1 to 32";
      }
      parsed.replication_factor = factor;
    } else {
      return "unknown parameter \"" + std::string(name) + "\" in the kafka:// URL (known: prefix, replication)";
    }
  }
  return parsed;
}

}  // namespace orderline::eventstore
