#pragma once
// One blocking HTTP/1.1 GET (Boost.Beast), for orderctl's commands that read a running
// server (`orderctl top` reads /metrics). A new connection per call: a one-second refresh
// does not need keep-alive, and a restarted server is simply reached again.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace orderline::cli {

struct HttpGetResult {
  bool ok = false;      // a response arrived (any status)
  unsigned status = 0;
  std::string body;
  std::string error;    // why not, when !ok
};

// url: "http://host[:port][/path]" (https is not supported). Bounded by `timeout` as a whole.
// A GET; a non-empty bearer_token is sent as "Authorization: Bearer <token>".
HttpGetResult http_get(const std::string& url, std::chrono::milliseconds timeout, const std::string& bearer_token = {});

// Any method, with a body (sent as application/json when not empty) and extra headers, e.g.
// {"Authorization", "Bearer ..."} for staff routes (`orderctl backup`).
HttpGetResult http_request(const std::string& method, const std::string& url, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::chrono::milliseconds timeout);

}  // namespace orderline::cli
