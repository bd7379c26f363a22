#include "gateway/request_ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>
#include <stdexcept>

namespace orderline::gateway {

std::string uuid_v5(std::string_view namespace_uuid, std::string_view name) {
  const boost::uuids::uuid ns =
      boost::uuids::string_generator()(namespace_uuid.begin(), namespace_uuid.end());
  boost::uuids::name_generator_sha1 generate(ns);
  return boost::uuids::to_string(generate(name.data(), name.size()));
}

std::string uuid_v4() {
  // One generator per thread: boost's random_generator is not thread-safe and is costly to seed.
  thread_local boost::uuids::random_generator generate;
  return boost::uuids::to_string(generate());
}

std::string new_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random();
    for (int i = 0; i < 16; ++i) {
      id[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> traceparent_trace_id(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  constexpr std::size_t kLength = 55;
  auto lower_hex = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  };
  auto all_zero = [](std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; };
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  if (header.size() < kLength || header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const auto version = header.substr(0, 2);
  // Version 00 has exactly these fields; later versions may append "-..." (the spec asks
  // parsers to read the known prefix); ff is forbidden.
  if (!lower_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? header.size() != kLength : (header.size() > kLength && header[kLength] != '-')) {
    return std::nullopt;
  }
  const auto trace_id = header.substr(3, 32);
  const auto parent_id = header.substr(36, 16);
  if (!lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(header.substr(53, 2))) return std::nullopt;
  if (all_zero(trace_id) || all_zero(parent_id)) return std::nullopt;
  return std::string(trace_id);
}

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::string ha = sha256(a);
  const std::string hb = sha256(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

IfMatch parse_if_match(std::optional<std::string_view> header) {
  IfMatch result;
  if (!header) return result;
  std::string_view v = *header;
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  v = trim(v);
  if (v.size() >= 2 && (v.substr(0, 2) == "W/" || v.substr(0, 2) == "w/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t version = -1;
  if (v.empty() || v.size() > 18 || v.front() == '-' || v.front() == '+') {
    result.ok = false;
    return result;
  }
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (ec != std::errc() || end != v.data() + v.size() || version < 0) {
    result.ok = false;
    return result;
  }
  result.expected_version = version;
  return result;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace orderline::gateway
