#include <algorithm>
#include "tests/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>

namespace orderline::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kTimeout = std::chrono::seconds(60);

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

HttpResponse convert(http::response<http::string_body>&& res) {
  HttpResponse out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

tcp::endpoint endpoint_of(const std::string& host, std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address(host), port);
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return true;
  }
  return false;
}

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return value;
}

std::string HttpResponse::code() const {
  auto value = json();
  if (const auto* obj = value.if_object()) {
    if (const auto* code = obj->if_contains("code"); code && code->is_string()) return std::string(code->get_string());
  }
  return {};
}

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host;
};

HttpClient::HttpClient(std::uint16_t port, std::string host) : impl_(std::make_unique<Impl>()), port_(port) {
  impl_->host = std::move(host);
}

HttpClient::~HttpClient() {
  if (impl_->stream) {
    boost::system::error_code ignored;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target, std::string_view body,
                                 const HeaderList& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + std::to_string(port_));
  bool content_type_given = false;
  for (const auto& [name, value] : default_headers_) {
    const bool overridden = std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
    if (!overridden) req.set(name, value);
  }
  for (const auto& [name, value] : headers) {
    if (iequals(name, "content-type")) content_type_given = true;
    if (value.empty()) {
      req.erase(name);
      continue;
    }
    req.set(name, value);
  }
  if (!body.empty() && !content_type_given) req.set(http::field::content_type, "application/json");
  req.body() = std::string(body);
  req.prepare_payload();

  // A kept-alive connection may have been closed by the server since: retry once on a new
  // one, but only requests that are safe to send twice (GET/HEAD, or with an Idempotency-Key).
  bool retryable = method == "GET" || method == "HEAD";
  for (const auto& [name, value] : headers) retryable = retryable || iequals(name, "idempotency-key");
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !impl_->stream.has_value();
    if (fresh) {
      impl_->stream.emplace(impl_->ioc);
      impl_->buffer.clear();
      impl_->stream->expires_after(kTimeout);
      impl_->stream->connect(endpoint_of(impl_->host, port_));
    }
    boost::system::error_code ec;
    impl_->stream->expires_after(kTimeout);
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      if (!fresh && attempt == 0 && retryable) continue;
      throw std::runtime_error("HTTP " + std::string(method) + " " + std::string(target) + ": " + ec.message());
    }
    auto res = parser.release();
    const bool keep = res.keep_alive();
    auto out = convert(std::move(res));
    if (!keep) impl_->stream.reset();
    return out;
  }
}

HttpResponse send_raw(std::uint16_t port, std::string_view bytes, std::string host) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(kTimeout);
  stream.connect(endpoint_of(host, port));
  boost::system::error_code ec;
  net::write(stream, net::buffer(bytes.data(), bytes.size()), ec);
  // A server may answer before reading everything (413): read the answer regardless.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  stream.expires_after(kTimeout);
  http::read(stream, buffer, parser, ec);
  if (ec && !parser.is_header_done()) return {};
  return convert(parser.release());
}

}  // namespace orderline::testing
