#include "cli/orders_command.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <iostream>

#include "cli/http_get.h"
#include "cli/server_answer.h"

namespace orderline::cli {

void add_orders_show_flags(CLI::App& command, OrdersShowArgs& args) {
  command.add_option("order_id", args.order_id, "The order's id")->required();
  command.add_option("--as-of", args.as_of, "The order as it was at this RFC 3339 time (e.g. 2026-11-29T10:15:30Z)");
  command.add_option("--url", args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
}

int run_orders_show(const OrdersShowArgs& args) {
  // Ids and times travel percent-encoded: "+01:00" must not arrive as a space.
  auto encode = [](const std::string& text) { return boost::urls::encode(text, boost::urls::unreserved_chars); };
  std::string url = args.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/v1/orders/" + encode(args.order_id);
  if (!args.as_of.empty()) url += "?as_of=" + encode(args.as_of);
  const auto answer = http_get(url, std::chrono::seconds(10), args.token);
  if (!answer_ok(answer, "orderctl orders show")) return 1;
  std::cout << answer.body << std::endl;
  return 0;
}

}  // namespace orderline::cli
