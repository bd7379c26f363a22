#include "cli/http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace orderline::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

HttpGetResult http_get(const std::string& url, std::chrono::milliseconds timeout, const std::string& bearer_token) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!bearer_token.empty()) headers.emplace_back("Authorization", "Bearer " + bearer_token);
  return http_request("GET", url, "", headers, timeout);
}

HttpGetResult http_request(const std::string& method, const std::string& url, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::chrono::milliseconds timeout) {
  HttpGetResult result;
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
    result.error = "not an http:// URL: " + url;
    return result;
  }
  const std::string host(parsed->encoded_host());
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string target(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  // Asynchronous steps run to completion by ioc.run(), so the stream's deadline bounds each.
  net::ip::tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    result.error = "cannot resolve " + host + ": " + ec.message();
    return result;
  }
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, host + ":" + port);
  request.set(http::field::user_agent, "orderctl");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;

  stream.expires_after(timeout);
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
      http::async_read(stream, buffer, response, [&](beast::error_code read_ec, std::size_t) { ec = read_ec; });
    });
  });
  ioc.run();
  if (ec) {
    result.error = method + " " + url + ": " + ec.message();
    return result;
  }
  result.ok = true;
  result.status = response.result_int();
  result.body = std::move(response.body());
  return result;
}

}  // namespace orderline::cli
