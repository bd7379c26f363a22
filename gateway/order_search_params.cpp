#include "gateway/order_search_params.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include "domain/aggregate.h"

namespace orderline::gateway {
namespace {

constexpr std::array kOrderStatuses = {domain::status::placed,    domain::status::confirmed,
                                       domain::status::completed, domain::status::cancelled,
                                       domain::status::expired,   domain::status::return_requested,
                                       domain::status::returned};

constexpr std::array<std::string_view, 9> kKnownParameters = {
    "status", "customer_id", "currency", "created_from", "created_to", "min_total", "sort", "limit", "cursor"};

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  const char* begin = text.data() + pos;
  const auto [end, ec] = std::from_chars(begin, begin + count, out);
  return ec == std::errc{} && end == begin + count;
}

template <typename Int>
bool parse_integer(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

std::string status_list() {
  std::string out;
  for (const auto* s : kOrderStatuses) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_micros(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) || !digits(text, 5, 2, mo) ||
      !digits(text, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t micros = duration_cast<microseconds>(sys_days{date}.time_since_epoch()).count();
  if (text.size() == 10) return micros;

  int h = 0, mi = 0, s = 0;
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
      !digits(text, 11, 2, h) || !digits(text, 14, 2, mi) || !digits(text, 17, 2, s) || h > 23 || mi > 59 ||
      s > 59) {
    return std::nullopt;
  }
  micros += ((h * 60LL + mi) * 60LL + s) * 1'000'000LL;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    std::int64_t fraction = 0;
    int places = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (places < 6) fraction = fraction * 10 + (text[pos] - '0'), ++places;  // finer than µs: cut
      ++pos;
    }
    if (places == 0) return std::nullopt;
    while (places++ < 6) fraction *= 10;
    micros += fraction;
  }
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") return micros;
  int zh = 0, zm = 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !digits(zone, 1, 2, zh) ||
      !digits(zone, 4, 2, zm) || zh > 23 || zm > 59) {
    return std::nullopt;
  }
  const std::int64_t offset = (zh * 60LL + zm) * 60'000'000LL;
  return zone[0] == '+' ? micros - offset : micros + offset;
}

ParsedOrderSearch parse_order_search(const Request& request, std::size_t default_limit, std::size_t max_limit) {
  ParsedOrderSearch out;
  auto& q = out.query;
  auto& errors = out.errors;
  q.limit = default_limit;

  for (const auto& [name, value] : request.query) {
    if (std::find(kKnownParameters.begin(), kKnownParameters.end(), name) == kKnownParameters.end()) {
      errors.push_back({name, "is not a parameter of this search"});
    }
  }
  if (auto v = request.query_param("status")) {
    const bool known = std::find(kOrderStatuses.begin(), kOrderStatuses.end(), *v) != kOrderStatuses.end();
    if (known) q.status = std::string(*v);
    else errors.push_back({"status", "must be one of " + status_list()});
  }
  if (auto v = request.query_param("customer_id")) {
    if (v->empty() || v->size() > 200) errors.push_back({"customer_id", "must be 1 to 200 characters"});
    else q.customer_id = std::string(*v);
  }
  if (auto v = request.query_param("currency")) {
    const bool iso = v->size() == 3 && std::all_of(v->begin(), v->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (iso) q.currency = std::string(*v);
    else errors.push_back({"currency", "must be an ISO 4217 code such as EUR"});
  }
  for (auto [name, target] : {std::pair{"created_from", &q.created_from_us}, std::pair{"created_to", &q.created_to_us}}) {
    if (auto v = request.query_param(name)) {
      if (auto micros = parse_rfc3339_micros(*v)) *target = *micros;
      else errors.push_back({name, "must be an RFC 3339 time (2026-11-29T10:00:00Z) or a date (2026-11-29)"});
    }
  }
  if (q.created_from_us && q.created_to_us && *q.created_from_us >= *q.created_to_us) {
    errors.push_back({"created_to", "must be after created_from"});
  }
  if (auto v = request.query_param("min_total")) {
    std::int64_t minor = 0;
    if (parse_integer(*v, minor) && minor >= 0) q.min_total_minor = minor;
    else errors.push_back({"min_total", "must be a non-negative integer amount in minor units (1999 = 19.99)"});
  }
  if (auto v = request.query_param("sort")) {
    if (auto sort = projections::parse_order_sort(*v)) q.sort = *sort;
    else errors.push_back({"sort", "must be one of -created_at, created_at, -total, total"});
  }
  if (auto v = request.query_param("limit")) {
    std::size_t limit = 0;
    if (parse_integer(*v, limit) && limit >= 1 && limit <= max_limit) q.limit = limit;
    else errors.push_back({"limit", "must be an integer from 1 to " + std::to_string(max_limit)});
  }
  if (auto v = request.query_param("cursor")) {
    auto cursor = projections::decode_order_cursor(*v);
    if (!cursor) errors.push_back({"cursor", "is not a cursor of this search"});
    else if (cursor->sort != q.sort) errors.push_back({"cursor", "belongs to another sort order; keep `sort` as it was"});
    else q.after = std::move(*cursor);
  }
  return out;
}

}  // namespace orderline::gateway
