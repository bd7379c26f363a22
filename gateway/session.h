#pragma once
// One HTTP/1.1 connection (Beast's advanced_server shape: a strand per connection,
// do_x/on_x steps). Requests are read one at a time: the next is read only once the answer
// to the previous one is written, which bounds pipelining to one request in flight.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "gateway/server_state.h"

namespace orderline::gateway {

// Takes over an accepted socket (whose executor must be a strand) and serves it.
void start_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state);

// Answers 503 too_many_connections and closes (the connection limit is reached).
void reject_connection(boost::asio::ip::tcp::socket socket);

}  // namespace orderline::gateway
