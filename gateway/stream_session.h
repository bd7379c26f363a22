#pragma once
// One WebSocket connection of /api/v1/stream (Beast's advanced_server shape: the HTTP session
// reads the upgrade request and hands the socket over). It reads client frames one at a time,
// keeps one write in flight, and queues the rest up to config.stream_queue_limit frames: a
// client that falls further behind is closed with a reason (1008 "slow consumer") rather
// than growing the server's memory. Heartbeats are Beast's: a ping after half of
// stream_idle_timeout without traffic, a close when nothing came back by the end of it.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "gateway/server_state.h"

namespace orderline::gateway {

// Takes over an accepted socket (its executor a strand) whose upgrade request `request` was
// read and accepted by stream_upgrade_refusal().
void start_stream_session(boost::asio::ip::tcp::socket socket,
                          boost::beast::http::request<boost::beast::http::string_body> request,
                          std::shared_ptr<ServerState> state);

}  // namespace orderline::gateway
