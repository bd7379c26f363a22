#include "gateway/account_support.h"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/json.hpp>

#include "gateway/auth/access_tokens.h"
#include "gateway/auth/base64url.h"
#include "gateway/auth_runtime.h"
#include "gateway/problem.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"
#include "orderline/v1/envelope.pb.h"

namespace orderline::gateway {
namespace json = boost::json;

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string normalise_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
  std::string out(email);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool plausible_email(std::string_view email) {
  if (email.size() > 254 || std::count(email.begin(), email.end(), '@') != 1) return false;
  const auto at = email.find('@');
  return at > 0 && at + 1 < email.size() && email.substr(at + 1).find('.') != std::string_view::npos &&
         std::none_of(email.begin(), email.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

std::string account_key_for(std::string_view email) { return hex(sha256(normalise_email(email))); }

std::optional<domain::AccountState> load_account(const ExchangePtr& ex, const std::string& account_key, bool* failed) {
  *failed = false;
  const auto stream = domain::account_stream(account_key);
  auto records = ex->services->log->read_stream(stream);
  if (!records) {
    *failed = true;
    ex->respond(problem(503, "log_unavailable", "cannot read the event log: " + records.detail));
    return std::nullopt;
  }
  if (records.value->empty()) return std::nullopt;
  auto state = domain::initial_state(stream);
  v1::EventEnvelope envelope;
  v1::EventPayload payload;
  for (const auto& record : *records.value) {
    if (!envelope.ParseFromString(record.value) || !payload.ParseFromString(envelope.payload())) continue;
    domain::evolve(state, payload);
  }
  return std::get<domain::AccountState>(std::move(state));
}

std::string RefreshToken::text() const {
  return std::string(kind) + "." + account_key + "." + family_id + "." + secret;
}
std::string RefreshToken::hash() const { return hex(sha256(secret)); }

RefreshToken RefreshToken::fresh(std::string account_key, std::string family_id, std::string_view kind) {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  return RefreshToken{std::move(account_key), std::move(family_id),
                      auth::base64url_encode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes)), kind};
}

std::optional<RefreshToken> RefreshToken::parse(std::string_view text, std::string_view kind) {
  if (text.size() > 512 || !text.starts_with(kind) || text.substr(kind.size(), 1) != ".") return std::nullopt;
  text.remove_prefix(kind.size() + 1);
  const auto a = text.find('.');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = text.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  RefreshToken t{std::string(text.substr(0, a)), std::string(text.substr(a + 1, b - a - 1)),
                 std::string(text.substr(b + 1)), kind};
  const bool key_ok = t.account_key.size() == 64 &&
                      std::all_of(t.account_key.begin(), t.account_key.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (!key_ok || t.family_id.empty() || t.family_id.size() > 64 || t.secret.size() < 32) return std::nullopt;
  return t;
}

auth::Principal principal_of(const domain::AccountState& account) {
  auth::Principal p;
  p.subject = "account:" + account.account_key;
  p.customer_id = account.customer_id;
  p.account_key = account.account_key;
  p.source = "local";
  for (const auto& name : account.roles) {
    if (auto role = auth::role_from_name(name)) p.roles = p.roles | *role;
  }
  return p;
}

Response token_answer(const ExchangePtr& ex, const domain::AccountState& account, const RefreshToken& refresh) {
  auto principal = principal_of(account);
  principal.session_id = refresh.family_id;
  json::array roles;
  for (const auto& r : auth::role_names(principal.roles)) roles.emplace_back(r);
  json::object body{{"access_token", auth::issue_access_token(ex->auth->tokens, principal, ex->auth->now())},
                    {"token_type", "Bearer"},
                    {"expires_in", ex->auth->tokens.ttl_s},
                    {"refresh_token", refresh.text()},
                    {"refresh_expires_in", ex->auth->refresh_ttl_s},
                    {"roles", std::move(roles)}};
  body["customer_id"] = account.customer_id.empty() ? json::value(nullptr) : json::value(account.customer_id);
  return json_response(body);
}

std::optional<std::string> string_field(const json::object& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

bool refuse_weak_password(const ExchangePtr& ex, std::string_view password, std::string_view email,
                          std::string_view field) {
  const auto problems = auth::password_problems(password, email);
  if (problems.empty()) return false;
  std::vector<FieldError> list;
  for (const auto& p : problems) list.push_back({std::string(field), p});
  ex->respond(problem(400, "weak_password", "the password " + problems.front(), list));
  return true;
}

Response with_retry_after(Response r, std::int64_t seconds) {
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(seconds, 1)));
  return r;
}

Response busy() {
  return with_retry_after(problem(503, "overloaded", "too many password checks are queued; retry shortly"), 1);
}

Response limited(const ExchangePtr& ex, const auth::LoginLimiter::Decision& d) {
  if (d.verdict == auth::LoginLimiter::Verdict::locked) {
    ex->auth->refused(auth::Failure::locked);
    return with_retry_after(
        problem(423, "account_locked",
                "too many failed logins: the account is locked for " + std::to_string(d.retry_after_s) + " s"),
        d.retry_after_s);
  }
  ex->auth->refused(auth::Failure::rate_limited);
  return with_retry_after(problem(429, "rate_limited", "too many attempts; retry later"), d.retry_after_s);
}

void respond_once_revoked(const ExchangePtr& ex, const v1::CommandOutcome& outcome, Response answer) {
  auto shared = std::make_shared<Response>(std::move(answer));
  const eventstore::PositionVector position{{{outcome.partition(), outcome.offset()}}};
  when_read_models_reach(
      ex, position, [ex, shared] { ex->respond(std::move(*shared)); },
      [ex, shared] { ex->respond(std::move(*shared)); });
}

}  // namespace orderline::gateway
