#pragma once
// What the route handlers share: body parsing, staff auth, command submission with reply
// mapping, and waiting for the read models to reach a position (after=TOKEN).
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>

#include "eventstore/position.h"
#include "gateway/exchange.h"
#include "gateway/problem.h"
#include "orderline/v1/commands.pb.h"

namespace orderline::gateway {

// The JSON body of a POST. Answers (and returns nullopt) on 415 (a body that is not
// application/json), 400 malformed JSON, or 400 when a required body is missing. An absent
// optional body reads as {}.
std::optional<boost::json::value> read_json_body(const ExchangePtr& ex, bool required);

// True for application/json (any case, parameters such as charset allowed).
bool is_json_content_type(std::string_view content_type);

// For handlers written before the route table carried roles: true when the caller (already
// authorised by dispatch(), or authenticated here on a public route) has staff or admin;
// otherwise answers 401/403 and returns false. New routes name their roles in router.cpp.
bool require_staff(const ExchangePtr& ex);

// expected_version from If-Match (-1 when absent); answers 400 and returns nullopt when the
// header is not a version.
std::optional<std::int64_t> expected_version(const ExchangePtr& ex);

// SHA-256 of method, path and the canonical body (plus `extra`, e.g. If-Match).
std::string request_hash(const ExchangePtr& ex, const boost::json::value& body, std::string_view extra = {});

// A command with the fields every route sets: ids, deadline, actor, correlation id, hash.
v1::Command new_command(const ExchangePtr& ex, std::string command_id, std::string stream_id,
                        std::int64_t expected_version, std::string_view actor, std::string hash);

// Position token of an outcome: its partition's offset after the write.
std::string outcome_position(const v1::CommandOutcome& outcome);

// Submits to the bus and answers on the connection's strand: on_accepted builds the answer
// of an accepted outcome; everything else becomes a problem (reply_problem). If the bus has
// not replied by the command's deadline (plus a grace), answers 504 outcome_unknown.
void submit_command(const ExchangePtr& ex, v1::Command command,
                    std::function<Response(const v1::CommandOutcome&)> on_accepted);

// Like submit_command, for flows that go on after the reply (several commands in a row) or
// read rejections themselves: on_reply runs on the strand with whatever came back, once, and
// must answer or continue. A bus that never replies still gets the 504 outcome_unknown.
void submit_command_then(const ExchangePtr& ex, v1::Command command,
                         std::function<void(const commands::CommandReply&)> on_reply);

// Principal label of ids derived from Idempotency-Keys and of event actors: the caller's
// subject (anonymous without one).
std::string principal_label(const ExchangePtr& ex);

// Runs `then` on the strand once the read models have reached the position of the query's
// `after` parameter (at once without one). Answers 400 for a bad token and 503
// not_caught_up when config.read_wait runs out.
void when_caught_up(const ExchangePtr& ex, std::function<void()> then);
// Runs `then` on the strand once this gateway's read models have folded `position` (at once
// if they have), or `timed_out` when config.read_wait runs out first.
void when_read_models_reach(const ExchangePtr& ex, const eventstore::PositionVector& position,
                            std::function<void()> then, std::function<void()> timed_out);

// `limit` query parameter: default 50, at most 200; answers 400 and returns nullopt when bad.
std::optional<std::size_t> page_limit(const ExchangePtr& ex);

// 200 (or status) with a JSON body.
Response json_response(const boost::json::value& body, unsigned status = 200);

}  // namespace orderline::gateway
