#pragma once
// A tiny synchronous HTTP/1.1 client for tests (Boost.Beast): one keep-alive connection to
// 127.0.0.1:port, reconnecting when the server closed it.
//
//   HttpClient client(port);
//   auto r = client.request("POST", "/api/v1/orders", R"({"customer_id": ...})",
//                           {{"Idempotency-Key", "k1"}});
//   EXPECT_EQ(r.status, 201);
//   auto order_id = r.json().at("order_id").as_string();
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orderline::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  unsigned status = 0;   // 0: no response (the connection closed first)
  HeaderList headers;    // names lower-case
  std::string body;

  // The header's value ("" when absent); name case-insensitive.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body parsed as JSON; null when it is not JSON.
  boost::json::value json() const;
  // json().at("code") as a string, "" when absent.
  std::string code() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // A body is sent with Content-Type: application/json unless `headers` names a
  // Content-Type (an empty value sends none). Throws on connection errors. When a reused
  // keep-alive connection fails, GET/HEAD and requests with an Idempotency-Key are sent once
  // more on a new connection; others throw (they may have been acted on).
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const HeaderList& headers = {});

  HttpResponse get(std::string_view target, const HeaderList& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post(std::string_view target, std::string_view body, const HeaderList& headers = {}) {
    return request("POST", target, body, headers);
  }

  std::uint16_t port() const { return port_; }

  // Headers sent with every request unless the request names the same header itself (an
  // empty value there sends none). The one line that makes a test authenticate:
  //   client.set_default_headers(testing::bearer(token));
  void set_default_headers(HeaderList headers) { default_headers_ = std::move(headers); }
  const HeaderList& default_headers() const { return default_headers_; }

 private:
  HeaderList default_headers_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_;
};

// Opens a fresh connection, writes `bytes` as they are (malformed requests welcome), and
// reads one response. status 0 when the server closed without answering.
HttpResponse send_raw(std::uint16_t port, std::string_view bytes, std::string host = "127.0.0.1");

}  // namespace orderline::testing
