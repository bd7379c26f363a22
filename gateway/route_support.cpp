#include "gateway/route_support.h"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <memory>

#include "eventstore/position.h"
#include "gateway/access.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"

namespace orderline::gateway {
namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Response json_response(const json::value& body, unsigned status) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

bool is_json_content_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  return lower(trim(content_type.substr(0, semicolon))) == "application/json";
}

namespace {

// The path ("lines[0].name", "" for the root) of the first string, key or value, that holds a
// NUL character; nullopt when none does. JSON may carry "\u0000", but PostgreSQL text cannot,
// and a read model that cannot store an event stops at it: refused at the door instead.
std::optional<std::string> first_nul_path(const json::value& value, const std::string& path) {
  auto has_nul = [](json::string_view text) { return text.find('\0') != json::string_view::npos; };
  switch (value.kind()) {
    case json::kind::string:
      if (has_nul(value.get_string())) return path;
      return std::nullopt;
    case json::kind::array: {
      const auto& array = value.get_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (auto found = first_nul_path(array[i], path + "[" + std::to_string(i) + "]")) return found;
      }
      return std::nullopt;
    }
    case json::kind::object:
      for (const auto& [key, member] : value.get_object()) {
        const auto member_path = path.empty() ? std::string(key) : path + "." + std::string(key);
        if (has_nul(key)) return member_path;
        if (auto found = first_nul_path(member, member_path)) return found;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<json::value> read_json_body(const ExchangePtr& ex, bool required) {
  const auto& body = ex->request.body;
  const bool blank = trim(body).empty();
  if (!blank) {
    const auto content_type = ex->request.header("content-type");
    if (!content_type || !is_json_content_type(*content_type)) {
      ex->respond(problem(415, "unsupported_media_type",
                          "the body must be application/json, not " +
                              (content_type ? std::string(*content_type) : std::string("(none)"))));
      return std::nullopt;
    }
  }
  if (blank) {
    if (required) {
      ex->respond(validation_problem({{"", "a JSON body is required"}}));
      return std::nullopt;
    }
    return json::value(json::object{});
  }
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  auto value = json::parse(body, ec, {}, options);
  if (ec) {
    ex->respond(problem(400, "validation_failed", "malformed JSON: " + ec.message(),
                        {{"", "malformed JSON"}}));
    return std::nullopt;
  }
  if (auto path = first_nul_path(value, "")) {
    ex->respond(validation_problem({{*path, "text must not contain NUL characters (\\u0000)"}}));
    return std::nullopt;
  }
  return value;
}

bool require_staff(const ExchangePtr& ex) {
  if (ex->principal.roles == 0 && !authorize(ex, roles(auth::Role::staff))) return false;
  if (ex->principal.any_of(auth::Role::staff | auth::Role::admin)) return true;
  ex->respond(problem(403, "forbidden", "this route needs one of the roles: staff, admin"));
  return false;
}

std::string principal_label(const ExchangePtr& ex) {
  return ex->principal.subject.empty() ? std::string(kAnonymous) : ex->principal.subject;
}

std::optional<std::int64_t> expected_version(const ExchangePtr& ex) {
  const auto parsed = parse_if_match(ex->request.header("if-match"));
  if (!parsed.ok) {
    ex->respond(validation_problem({{"If-Match", "must be a version number, e.g. 3 or \"3\""}}));
    return std::nullopt;
  }
  return parsed.expected_version;
}

std::string request_hash(const ExchangePtr& ex, const json::value& body, std::string_view extra) {
  std::string material = ex->request.method;
  material += '\n';
  material += ex->request.path;
  material += '\n';
  material += canonical_json(body);
  material += '\n';
  material += extra;
  return sha256(material);
}

v1::Command new_command(const ExchangePtr& ex, std::string command_id, std::string stream_id,
                        std::int64_t expected_version, std::string_view actor, std::string hash) {
  v1::Command c;
  const auto now = now_us();
  c.set_command_id(std::move(command_id));
  c.set_stream_id(std::move(stream_id));
  c.set_expected_version(expected_version);
  c.set_issued_at_us(now);
  c.set_deadline_us(now + std::chrono::duration_cast<std::chrono::microseconds>(ex->config->command_timeout).count());
  c.set_actor(std::string(actor));
  c.set_correlation_id(ex->request.correlation_id);
  c.set_request_hash(std::move(hash));
  return c;
}

std::string outcome_position(const v1::CommandOutcome& outcome) {
  eventstore::PositionVector p;
  p.offsets[outcome.partition()] = outcome.offset();
  return eventstore::encode_position(p);
}

namespace {

// One command in flight. Touched only on the connection's strand, so `answered` needs no lock.
struct PendingCommand {
  ExchangePtr exchange;
  std::string command_id;
  std::function<void(const commands::CommandReply&)> on_reply;
  bool answered = false;
};

}  // namespace

void submit_command(const ExchangePtr& ex, v1::Command command,
                    std::function<Response(const v1::CommandOutcome&)> on_accepted) {
  submit_command_then(ex, std::move(command), [ex, on_accepted = std::move(on_accepted)](const commands::CommandReply& reply) {
    const bool accepted = reply.kind == commands::CommandReply::Kind::done && reply.outcome.accepted();
    ex->respond(accepted ? on_accepted(reply.outcome) : reply_problem(reply));
  });
}

void submit_command_then(const ExchangePtr& ex, v1::Command command,
                         std::function<void(const commands::CommandReply&)> on_reply) {
  auto pending = std::make_shared<PendingCommand>();
  pending->exchange = ex;
  pending->command_id = command.command_id();
  pending->on_reply = std::move(on_reply);

  // The bus normally answers timed_out itself; this guard covers a bus that never does.
  const auto grace = ex->config->command_timeout + std::chrono::milliseconds(1000);
  ex->after(std::chrono::duration_cast<std::chrono::milliseconds>(grace), [pending] {
    if (pending->answered) return;
    pending->answered = true;
    commands::CommandReply reply;
    reply.kind = commands::CommandReply::Kind::timed_out;
    reply.outcome.set_command_id(pending->command_id);
    pending->exchange->respond(reply_problem(reply));
  });

  ex->services->bus->submit(std::move(command), [pending](commands::CommandReply reply) {
    // Called on a bus thread: build and send the answer on the connection's strand.
    auto shared = std::make_shared<commands::CommandReply>(std::move(reply));
    pending->exchange->post([pending, shared] {
      if (pending->answered) return;
      pending->answered = true;
      if (shared->outcome.command_id().empty()) shared->outcome.set_command_id(pending->command_id);
      pending->on_reply(*shared);
    });
  });
}

namespace {

// One after= wait. The read models' waiter holds only a weak pointer, and the timeout timer
// (kept by the connection) owns this: when the connection goes away, the timer and this go
// with it and the destructor withdraws the waiter, so an unreachable token leaks nothing.
struct CatchUpWait {
  ExchangePtr exchange;
  std::function<void()> then;
  std::uint64_t ticket = 0;
  bool done = false;  // touched on the connection's strand only

  ~CatchUpWait() {
    if (ticket != 0) exchange->services->read_models->cancel_wait(ticket);
  }
};

void answer_not_caught_up(const ExchangePtr& ex) {
  auto r = problem(503, "not_caught_up", "the read models have not reached the requested position yet; retry shortly");
  auto body = json::parse(r.body).as_object();
  body["position"] = eventstore::encode_position(ex->services->read_models->checkpoints());
  r.body = json::serialize(body);
  r.headers.emplace_back("Retry-After", "1");
  ex->respond(std::move(r));
}

}  // namespace

void when_read_models_reach(const ExchangePtr& ex, const eventstore::PositionVector& position,
                            std::function<void()> then, std::function<void()> timed_out) {
  const auto* read_models = ex->services->read_models;
  if (read_models->reached(position)) return then();

  // Woken by the projector's publish (no polling, no blocked thread); the answer is built on
  // the connection's strand.
  auto wait = std::make_shared<CatchUpWait>();
  wait->exchange = ex;
  wait->then = std::move(then);
  std::weak_ptr<CatchUpWait> weak = wait;
  const auto ticket = read_models->when_reached(position, [weak] {
    auto alive = weak.lock();
    if (!alive) return;
    alive->exchange->post([alive] {
      if (alive->done) return;
      alive->done = true;
      alive->ticket = 0;
      alive->then();
    });
  });
  wait->ticket = ticket;
  ex->after(ex->config->read_wait, [wait, timed_out = std::move(timed_out)] {
    if (wait->done) return;
    wait->done = true;
    timed_out();
  });
}

void when_caught_up(const ExchangePtr& ex, std::function<void()> then) {
  const auto token = ex->request.query_param("after");
  if (!token) return then();
  auto position = eventstore::decode_position(*token);
  if (!position) {
    ex->respond(validation_problem({{"after", "is not a position token"}}));
    return;
  }
  when_read_models_reach(ex, *position, std::move(then), [ex] { answer_not_caught_up(ex); });
}

std::optional<std::size_t> page_limit(const ExchangePtr& ex) {
  const auto text = ex->request.query_param("limit");
  if (!text) return 50;
  std::size_t limit = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec == std::errc::result_out_of_range) return 200;
  if (ec != std::errc() || end != text->data() + text->size() || limit == 0) {
    ex->respond(validation_problem({{"limit", "must be an integer from 1 to 200"}}));
    return std::nullopt;
  }
  return std::min<std::size_t>(limit, 200);
}

}  // namespace orderline::gateway
