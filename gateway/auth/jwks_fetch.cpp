// Where a JWKS document comes from: a file, or a plain http:// URL (Boost.Beast, bounded).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <fstream>
#include <sstream>

#include "gateway/auth/jwks.h"

namespace orderline::auth {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

constexpr std::size_t kMaxDocument = 1 << 20;

std::optional<std::string> read_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot open " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxDocument) {
    if (error) *error = path + " is larger than 1 MiB";
    return std::nullopt;
  }
  return text.str();
}

std::optional<std::string> http_fetch(const std::string& url, std::string* error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
    if (error) *error = "not an http:// URL: " + url;
    return std::nullopt;
  }
  const std::string host(parsed->encoded_host());
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    if (error) *error = "cannot resolve " + host + ": " + ec.message();
    return std::nullopt;
  }
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, host + ":" + port);
  request.set(http::field::user_agent, "orderd-jwks");
  request.set(http::field::connection, "close");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxDocument);
  // Asynchronous steps run to completion by ioc.run(), so the deadline bounds them all.
  stream.expires_after(std::chrono::seconds(5));
  stream.async_connect(endpoints, [&](beast::error_code connect_ec, const auto&) {
    if (connect_ec) {
      ec = connect_ec;
      return;
    }
    http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
      if (write_ec) {
        ec = write_ec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) { ec = read_ec; });
    });
  });
  ioc.run();
  if (ec) {
    if (error) *error = "GET " + url + ": " + ec.message();
    return std::nullopt;
  }
  if (parser.get().result_int() != 200) {
    if (error) *error = "GET " + url + ": status " + std::to_string(parser.get().result_int());
    return std::nullopt;
  }
  return parser.release().body();
}

}  // namespace

JwksFetch jwks_source(std::string file_or_url) {
  if (file_or_url.starts_with("http://") || file_or_url.starts_with("https://")) {
    return [url = std::move(file_or_url)](std::string* error) { return http_fetch(url, error); };
  }
  return [path = std::move(file_or_url)](std::string* error) { return read_file(path, error); };
}

}  // namespace orderline::auth
