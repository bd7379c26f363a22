#pragma once
// `orderctl orders show ID [--as-of TIME]`: one order from a running orderd over HTTP (the
// DESIGN's way for orderctl to reach a server): now, or as it was at TIME
// (GET /api/v1/orders/{id}?as_of=TIME, folded by the server from the order's events).
#include <string>

namespace CLI {
class App;
}

namespace orderline::cli {

struct OrdersShowArgs {
  std::string url = "http://127.0.0.1:8080";
  std::string order_id;
  std::string as_of;  // RFC 3339; empty: now
  std::string token;  // bearer token (--token / ORDERLINE_TOKEN, set by orderctl_main)
};

void add_orders_show_flags(CLI::App& command, OrdersShowArgs& args);

// Prints the order's JSON on stdout and returns 0; on an error answer prints the problem's
// code and detail on stderr and returns 1 (as it does when the server cannot be reached).
int run_orders_show(const OrdersShowArgs& args);

}  // namespace orderline::cli
