#pragma once
// One HTTP request in flight, as the route handlers see it: a plain request, a plain
// response, and the three ways back to the connection. Handlers never see Beast types, so
// only session.cpp and listener.cpp pay for Beast's compile time.
//
// Threading: a handler starts on the connection's strand. It may answer at once
// (ex->respond(...)) or later from any thread (respond hops onto the strand). Work that
// must run on the strand again (e.g. after a CommandBus reply) goes through post(); timers
// through after().
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/auth/principal.h"
#include "gateway/server.h"

namespace orderline::gateway {

struct AuthRuntime;

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // raw request target
  std::string path;    // encoded path, without the query
  std::vector<std::string> segments;                         // percent-decoded path segments
  std::vector<std::pair<std::string, std::string>> query;    // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string request_id;  // X-Request-Id: the client's (if sane) or ours; echoed in the answer
  // Ties the request to the commands and events it causes (v1::Command::correlation_id, then
  // every event envelope) and to log lines: the trace id of a valid W3C traceparent, else
  // request_id.
  std::string correlation_id;
  std::string remote_address;  // the peer's IP address (rate limits of /auth/login)

  // First header of that name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  // First query parameter of that name, if any.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  bool close = false;  // close the connection after this response
};

struct Exchange {
  Request request;
  std::map<std::string, std::string, std::less<>> params;  // path template parameters
  // The matched route's template (static storage), for metrics; set by dispatch() before
  // the handler runs.
  std::string_view route = kUnmatchedRoute;
  const GatewayConfig* config = nullptr;
  const Services* services = nullptr;
  AuthRuntime* auth = nullptr;
  // Who is calling, set by dispatch() before the handler runs on routes that need a role;
  // empty (no roles) on public routes.
  auth::Principal principal;

  // Answers the request; callable once, from any thread.
  std::function<void(Response)> respond;
  // Runs fn on the connection's strand.
  std::function<void(std::function<void()>)> post;
  // Runs fn on the connection's strand after a delay (a steady_timer, never a sleep).
  std::function<void(std::chrono::milliseconds, std::function<void()>)> after;

  const std::string& param(std::string_view name) const;
};

using ExchangePtr = std::shared_ptr<Exchange>;

}  // namespace orderline::gateway
