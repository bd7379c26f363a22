// Accounts: register, login, refresh, logout, who-am-I, and staff accounts made by an admin.
// Passwords are hashed and checked on the argon2id workers, never on the I/O threads; the
// account's events (credentials, refresh-token families) go through the command bus like
// any other, to the restricted "account-" stream.
#include <boost/json.hpp>

#include "eventstore/position.h"
#include "gateway/access.h"
#include "gateway/account_support.h"
#include "gateway/auth_runtime.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"
#include "orderline/v1/events.pb.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxNameLength = 200;
constexpr std::size_t kMaxAddressLength = 500;

bool done(const commands::CommandReply& reply) {
  return reply.kind == commands::CommandReply::Kind::done && reply.outcome.accepted();
}

Response invalid_refresh() {
  return problem(401, "invalid_refresh_token", "the refresh token is not valid (expired, revoked, or unknown)");
}

struct NewAccount {
  std::string email;
  std::string password;
  std::string name;
  std::string address;
  std::vector<std::string> roles;
  bool customer = true;  // also registers a customer (with sealed personal data)
};

// Validates the body of register / admin accounts; answers 400 and returns nullopt when bad.
std::optional<NewAccount> read_new_account(const ExchangePtr& ex, const json::value& body, bool customer) {
  std::vector<FieldError> errors;
  const auto* obj = body.if_object();
  if (!obj) {
    ex->respond(validation_problem({{"", "the body must be a JSON object"}}));
    return std::nullopt;
  }
  NewAccount account;
  account.customer = customer;
  auto email = string_field(*obj, "email");
  auto password = string_field(*obj, "password");
  if (!email || !plausible_email(normalise_email(*email))) errors.push_back({"email", "must be an e-mail address"});
  if (!password) errors.push_back({"password", "is required (a string)"});
  if (customer) {
    auto name = string_field(*obj, "name");
    if (!name || name->empty() || name->size() > kMaxNameLength) {
      errors.push_back({"name", "must have 1 to " + std::to_string(kMaxNameLength) + " characters"});
    } else {
      account.name = *name;
    }
    if (obj->contains("address")) {
      auto address = string_field(*obj, "address");
      if (!address || address->size() > kMaxAddressLength) {
        errors.push_back({"address", "must be a string of at most " + std::to_string(kMaxAddressLength) + " characters"});
      } else {
        account.address = *address;
      }
    }
    account.roles = {"customer"};
  } else {
    auto roles = obj->find("roles");
    if (roles == obj->end() || !roles->value().is_array() || roles->value().as_array().empty()) {
      errors.push_back({"roles", "must be a non-empty array of role names"});
    } else {
      for (const auto& r : roles->value().as_array()) {
        if (!r.is_string() || !auth::role_from_name(r.as_string())) {
          errors.push_back({"roles", "roles are customer, staff, ops, analyst, admin"});
          break;
        }
        account.roles.emplace_back(r.as_string());
      }
    }
  }
  if (!errors.empty()) {
    ex->respond(validation_problem(std::move(errors)));
    return std::nullopt;
  }
  account.email = normalise_email(*email);
  account.password = std::move(*password);
  if (refuse_weak_password(ex, account.password, account.email, "password")) return std::nullopt;
  return account;
}

// Registration is two commands on two streams (the customer, then the account), so it is
// made safe to retry instead of atomic: the customer's id and command id derive from the
// account key, so an attempt cut short after the customer step registers the same customer
// again (the first outcome comes back) and then the account. The account step decides who
// wins a race for one address; the loser gets 409 and leaves no second customer.
std::string customer_id_for(const std::string& account_key) {
  return uuid_v5(kIdNamespace, "customer\n" + account_key);
}

// The customer, its personal data sealed with its own key; then `then` on the strand.
void register_customer_of(const ExchangePtr& ex, const NewAccount& account, const std::string& account_key,
                          const std::string& customer_id, std::function<void(const v1::CommandOutcome&)> then) {
  auto key = ex->auth->keys->get_or_create(customer_id);
  if (!key) return ex->respond(problem(503, "key_store_unavailable", "cannot store the customer's key"));
  v1::PersonalData data;
  data.set_email(account.email);
  data.set_name(account.name);
  data.set_address(account.address);
  // The hash names the account, not the body: a retry with other details is the same command.
  v1::Command command = new_command(ex, "register-customer-" + account_key, domain::customer_stream(customer_id), -1,
                                    "account:" + account_key, hex(sha256("register\n" + account_key)));
  auto* registration = command.mutable_register_customer();
  registration->set_customer_id(customer_id);
  registration->set_sealed_personal_data(auth::seal(*key, data.SerializeAsString()));
  registration->set_account_key(account_key);
  submit_command_then(ex, std::move(command), [ex, then = std::move(then)](const commands::CommandReply& reply) {
    if (!done(reply)) return ex->respond(reply_problem(reply));
    then(reply.outcome);
  });
}

// `written`: the position of the customer step, so the answer's position covers both writes.
void register_account_of(const ExchangePtr& ex, const NewAccount& account, const std::string& key,
                         const std::string& customer_id, const std::string& hash,
                         eventstore::PositionVector written = {}) {
  v1::Command command = new_command(ex, "register-account-" + uuid_v4(), domain::account_stream(key), -1,
                                    principal_label(ex), hex(sha256(key)));
  auto* body = command.mutable_register_account();
  body->set_account_key(key);
  body->set_customer_id(customer_id);
  body->set_password_hash(hash);
  for (const auto& r : account.roles) body->add_roles(r);
  submit_command_then(ex, std::move(command), [ex, account, customer_id, written](const commands::CommandReply& reply) {
    if (!done(reply)) {
      if (reply.kind == commands::CommandReply::Kind::done && reply.outcome.error_code() == "already_exists") {
        return ex->respond(problem(409, "already_exists", "an account with this e-mail address exists"));
      }
      return ex->respond(reply_problem(reply));
    }
    if (!account.customer) {
      return ex->respond(json_response(json::object{{"email", account.email}, {"roles", json::value_from(account.roles)}}, 201));
    }
    auto position = written;
    position.merge_max(eventstore::PositionVector{{{reply.outcome.partition(), reply.outcome.offset()}}});
    auto r = json_response(json::object{{"customer_id", customer_id},
                                        {"email", account.email},
                                        {"position", eventstore::encode_position(position)}},
                           201);
    r.headers.emplace_back("Location", "/api/v1/customers/" + customer_id);
    ex->respond(std::move(r));
  });
}

// Hash the password (workers), then the customer (if any), then the account.
void create(const ExchangePtr& ex, NewAccount account) {
  if (account.customer && !ex->auth->keys) {
    return ex->respond(problem(503, "not_configured", "this server has no customer key store"));
  }
  const std::string password = std::move(account.password);
  account.password.clear();
  const auto cost = ex->auth->cost;
  const bool queued = on_workers(
      ex, [password, cost] { return auth::hash_password(password, cost); },
      [ex, account = std::move(account)](std::optional<std::string> hash) mutable {
        if (!hash) return ex->respond(busy());
        const auto key = account_key_for(account.email);
        bool failed = false;
        if (load_account(ex, key, &failed)) {
          return ex->respond(problem(409, "already_exists", "an account with this e-mail address exists"));
        }
        if (failed) return;
        if (!account.customer) return register_account_of(ex, account, key, "", *hash);
        const std::string customer_id = customer_id_for(key);
        register_customer_of(ex, account, key, customer_id,
                             [ex, account, key, customer_id, hash = *hash](const v1::CommandOutcome& customer) {
                               register_account_of(
                                   ex, account, key, customer_id, hash,
                                   eventstore::PositionVector{{{customer.partition(), customer.offset()}}});
                             });
      });
  if (!queued) ex->respond(busy());
}

// A wrong password, counted in the account's stream (where a lockout is decided for every
// gateway) before the 401 goes out. Unknown addresses send the same command, which their empty
// stream refuses, so the answer takes as long either way.
void record_login_failure(const ExchangePtr& ex, const std::string& key) {
  const auto& limits = ex->auth->limiter.config();
  v1::Command command = new_command(ex, "login-failed-" + uuid_v4(), domain::account_stream(key), -1,
                                    "account:" + key, hex(sha256(key)));
  auto* body = command.mutable_record_login_failure();
  body->set_lockout_failures(limits.lockout_failures);
  body->set_lockout_seconds(limits.lockout_s);
  submit_command_then(ex, std::move(command), [ex](const commands::CommandReply&) {
    ex->auth->refused(auth::Failure::invalid_credentials);
    ex->respond(problem(401, "invalid_credentials", "wrong e-mail address or password"));
  });
}

}  // namespace

void auth_register(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto d = ex->auth->limiter.attempt("register:" + ex->request.remote_address, "", ex->auth->now());
  if (d.verdict != auth::LoginLimiter::Verdict::allowed) return ex->respond(limited(ex, d));
  auto account = read_new_account(ex, *body, true);
  if (!account) return;
  create(ex, std::move(*account));
}

void create_account(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  auto account = read_new_account(ex, *body, false);
  if (!account) return;
  create(ex, std::move(*account));
}

void auth_login(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto* obj = body->if_object();
  auto email = obj ? string_field(*obj, "email") : std::nullopt;
  auto password = obj ? string_field(*obj, "password") : std::nullopt;
  if (!email || !password) {
    return ex->respond(validation_problem({{"email", "email and password are required (strings)"}}));
  }
  const auto key = account_key_for(*email);
  const auto now = ex->auth->now();
  const auto d = ex->auth->limiter.attempt(ex->request.remote_address, key, now);
  if (d.verdict != auth::LoginLimiter::Verdict::allowed) return ex->respond(limited(ex, d));
  bool failed = false;
  auto account = load_account(ex, key, &failed);
  if (failed) return;
  // The lockout every gateway shares: recorded in the account's stream.
  if (account && account->locked_until_us > now * 1'000'000) {
    return ex->respond(limited(ex, {auth::LoginLimiter::Verdict::locked,
                                    (account->locked_until_us - now * 1'000'000 + 999'999) / 1'000'000}));
  }
  // An unknown e-mail costs a full check too, so timing does not tell which addresses exist.
  const std::string hash = account ? account->password_hash : ex->auth->dummy_hash;
  const bool queued = on_workers(
      ex, [hash, password = std::move(*password)] { return auth::verify_password(hash, password); },
      [ex, account, key](bool good) {
        if (!good || !account || account->closed) {
          ex->auth->limiter.failed(key, ex->auth->now());
          return record_login_failure(ex, key);
        }
        ex->auth->limiter.succeeded(key);
        auto refresh = RefreshToken::fresh(key, uuid_v4());
        v1::Command command = new_command(ex, "login-" + uuid_v4(), domain::account_stream(key), -1,
                                          "account:" + key, refresh.hash());
        auto* issue = command.mutable_issue_refresh_token();
        issue->set_family_id(refresh.family_id);
        issue->set_token_hash(refresh.hash());
        issue->set_expires_at_us((ex->auth->now() + ex->auth->refresh_ttl_s) * 1'000'000);
        submit_command(ex, std::move(command), [ex, account, refresh](const v1::CommandOutcome&) {
          return token_answer(ex, *account, refresh);
        });
      });
  if (!queued) ex->respond(busy());
}

void auth_refresh(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto* obj = body->if_object();
  auto text = obj ? string_field(*obj, "refresh_token") : std::nullopt;
  if (!text) return ex->respond(validation_problem({{"refresh_token", "is required (a string)"}}));
  auto presented = RefreshToken::parse(*text);
  if (!presented) {
    ex->auth->refused(auth::Failure::refresh_invalid);
    return ex->respond(invalid_refresh());
  }
  bool failed = false;
  auto account = load_account(ex, presented->account_key, &failed);
  if (failed) return;
  if (!account || account->closed) {
    ex->auth->refused(auth::Failure::refresh_invalid);
    return ex->respond(invalid_refresh());
  }
  auto next = RefreshToken::fresh(presented->account_key, presented->family_id);
  v1::Command command = new_command(ex, "refresh-" + uuid_v4(), domain::account_stream(presented->account_key), -1,
                                    "account:" + presented->account_key, next.hash());
  auto* rotate = command.mutable_rotate_refresh_token();
  rotate->set_family_id(presented->family_id);
  rotate->set_presented_hash(presented->hash());
  rotate->set_new_hash(next.hash());
  rotate->set_expires_at_us((ex->auth->now() + ex->auth->refresh_ttl_s) * 1'000'000);
  submit_command_then(ex, std::move(command), [ex, account, next](const commands::CommandReply& reply) {
    if (reply.kind != commands::CommandReply::Kind::done) return ex->respond(reply_problem(reply));
    if (!reply.outcome.accepted()) {
      ex->auth->refused(auth::Failure::refresh_invalid);
      return ex->respond(invalid_refresh());
    }
    if (reply.outcome.status() == domain::status::token_reuse_detected) {
      ex->auth->refused(auth::Failure::refresh_reused);
      return ex->respond(problem(401, "refresh_token_reused",
                                 "this refresh token was already used; every token of its login is now revoked"));
    }
    ex->respond(token_answer(ex, *account, next));
  });
}

void auth_logout(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  const auto* obj = body->if_object();
  auto text = obj ? string_field(*obj, "refresh_token") : std::nullopt;
  if (!text) return ex->respond(validation_problem({{"refresh_token", "is required (a string)"}}));
  auto presented = RefreshToken::parse(*text);
  if (!presented) return ex->respond(invalid_refresh());
  v1::Command command = new_command(ex, "logout-" + uuid_v4(), domain::account_stream(presented->account_key), -1,
                                    "account:" + presented->account_key, presented->hash());
  auto* revoke = command.mutable_revoke_refresh_tokens();
  revoke->set_family_id(presented->family_id);
  revoke->set_presented_hash(presented->hash());
  revoke->set_reason("logout");
  submit_command_then(ex, std::move(command), [ex](const commands::CommandReply& reply) {
    if (reply.kind != commands::CommandReply::Kind::done) return ex->respond(reply_problem(reply));
    if (!reply.outcome.accepted()) return ex->respond(invalid_refresh());
    Response r;
    r.status = 204;
    r.content_type.clear();
    respond_once_revoked(ex, reply.outcome, std::move(r));
  });
}

void auth_me(const ExchangePtr& ex) {
  const auto& p = ex->principal;
  json::array roles;
  for (const auto& r : auth::role_names(p.roles)) roles.emplace_back(r);
  json::object body{{"subject", p.subject}, {"roles", std::move(roles)}, {"source", p.source}};
  body["customer_id"] = p.customer_id.empty() ? json::value(nullptr) : json::value(p.customer_id);
  ex->respond(json_response(body));
}

}  // namespace orderline::gateway::handlers
