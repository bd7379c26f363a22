// Customers: registration by staff, profile, order history, and forgetting (erasure).
// Personal data is sealed with the customer's own key before it reaches the log; DELETE
// destroys that key (personal_data.h).
#include <boost/json.hpp>

#include "domain/aggregate.h"
#include "gateway/access.h"
#include "gateway/account_support.h"
#include "gateway/auth_runtime.h"
#include "gateway/handlers.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"
#include "orderline/v1/envelope.pb.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

struct CustomerRecord {
  bool exists = false;
  bool forgotten = false;
  std::string account_key;
  std::optional<v1::PersonalData> data;  // nullopt when sealed with a destroyed key
};

// The customer's stream, read from the log. Answers 503 and returns nullopt on a log error.
std::optional<CustomerRecord> read_customer(const ExchangePtr& ex, const std::string& customer_id) {
  auto records = ex->services->log->read_stream(domain::customer_stream(customer_id));
  if (!records) {
    ex->respond(problem(503, "log_unavailable", "cannot read the event log: " + records.detail));
    return std::nullopt;
  }
  CustomerRecord out;
  v1::EventEnvelope envelope;
  v1::EventPayload payload;
  for (const auto& record : *records.value) {
    if (!envelope.ParseFromString(record.value) || !payload.ParseFromString(envelope.payload())) continue;
    if (payload.has_customer_forgotten()) {
      out.forgotten = true;
      out.data.reset();
    }
    if (!payload.has_customer_registered()) continue;
    const auto& registered = payload.customer_registered();
    out.exists = true;
    out.account_key = registered.account_key();
    if (registered.sealed_personal_data().empty()) {
      v1::PersonalData plain;  // written before personal data was sealed
      plain.set_email(registered.email());
      plain.set_name(registered.name());
      out.data = plain;
      continue;
    }
    auto key = ex->auth->keys ? ex->auth->keys->get(customer_id) : std::nullopt;
    auto opened = key ? auth::open_sealed(*key, registered.sealed_personal_data()) : std::nullopt;
    v1::PersonalData data;
    if (opened && data.ParseFromString(*opened)) out.data = data;
  }
  return out;
}

// After the key is gone: CustomerForgotten, then the account closes (no more logins, every
// refresh token revoked); 204 at the end.
void record_forgotten(const ExchangePtr& ex, const std::string& customer_id, const std::string& account_key) {
  auto command = new_command(ex, "forget-" + customer_id, domain::customer_stream(customer_id), -1,
                             principal_label(ex), hex(sha256("forget\n" + customer_id)));
  command.mutable_forget_customer()->set_customer_id(customer_id);
  command.mutable_forget_customer()->set_reason("erasure requested");
  submit_command_then(ex, std::move(command), [ex, account_key](const commands::CommandReply& reply) {
    if (reply.kind != commands::CommandReply::Kind::done || !reply.outcome.accepted()) {
      return ex->respond(reply_problem(reply));
    }
    auto no_content = [ex] {
      Response r;
      r.status = 204;
      r.content_type.clear();
      ex->respond(std::move(r));
    };
    if (account_key.empty()) return no_content();
    auto revoke = new_command(ex, "forget-account-" + account_key, domain::account_stream(account_key), -1,
                              principal_label(ex), hex(sha256("forget-account\n" + account_key)));
    revoke.mutable_revoke_refresh_tokens()->set_reason("customer_forgotten");
    submit_command_then(ex, std::move(revoke), [ex, no_content](const commands::CommandReply& r) {
      if (r.kind != commands::CommandReply::Kind::done || !r.outcome.accepted()) return ex->respond(reply_problem(r));
      no_content();
    });
  });
}

}  // namespace

void register_customer(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  auto parsed = parse_register_customer(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  if (!plausible_email(normalise_email(parsed.value.email()))) {
    return ex->respond(validation_problem({{"email", "email is not a valid address"}}));
  }
  if (parsed.value.name().empty() || parsed.value.name().size() > 200) {
    return ex->respond(validation_problem({{"name", "name must have 1 to 200 characters"}}));
  }
  if (!ex->auth->keys) return ex->respond(problem(503, "not_configured", "this server has no customer key store"));
  const auto key = ex->request.header("idempotency-key");
  if (key && (key->empty() || key->size() > 200)) {
    return ex->respond(validation_problem({{"Idempotency-Key", "must be 1 to 200 characters"}}));
  }
  // Same derivation as orders: a retried registration names the same customer.
  const std::string customer_id =
      key ? uuid_v5(kIdNamespace, principal_label(ex) + "\n" + std::string(*key)) : uuid_v4();
  auto secret = ex->auth->keys->get_or_create(customer_id);
  if (!secret) return ex->respond(problem(503, "key_store_unavailable", "cannot store the customer's key"));
  v1::PersonalData data;
  data.set_email(parsed.value.email());
  data.set_name(parsed.value.name());
  auto command = new_command(ex, "register-" + customer_id, domain::customer_stream(customer_id), -1,
                             principal_label(ex), request_hash(ex, *body));
  auto* registration = command.mutable_register_customer();
  registration->set_customer_id(customer_id);
  registration->set_sealed_personal_data(auth::seal(*secret, data.SerializeAsString()));
  submit_command(ex, std::move(command), [customer_id](const v1::CommandOutcome& outcome) {
    auto r = json_response(json::object{{"customer_id", customer_id},
                                        {"version", outcome.version()},
                                        {"position", outcome_position(outcome)}},
                           201);
    r.headers.emplace_back("Location", "/api/v1/customers/" + customer_id);
    return r;
  });
}

void get_customer(const ExchangePtr& ex) {
  const auto& customer_id = ex->param("customer_id");
  if (!may_see_customer(ex->principal, customer_id)) {
    return ex->respond(problem(404, "not_found", "no customer " + customer_id));
  }
  auto record = read_customer(ex, customer_id);
  if (!record) return;
  if (!record->exists) return ex->respond(problem(404, "not_found", "no customer " + customer_id));
  json::object body{{"customer_id", customer_id}, {"status", record->forgotten ? "forgotten" : "registered"}};
  if (record->data) {
    body["email"] = record->data->email();
    body["name"] = record->data->name();
    body["address"] = record->data->address();
  }
  ex->respond(json_response(body));
}

void forget_customer(const ExchangePtr& ex) {
  const std::string customer_id = ex->param("customer_id");
  if (!may_see_customer(ex->principal, customer_id)) {
    return ex->respond(problem(404, "not_found", "no customer " + customer_id));
  }
  if (!ex->auth->keys) return ex->respond(problem(503, "not_configured", "this server has no customer key store"));
  auto record = read_customer(ex, customer_id);
  if (!record) return;
  if (!record->exists) return ex->respond(problem(404, "not_found", "no customer " + customer_id));
  // The key goes first: once it is gone the person is forgotten, whatever happens next; the
  // event only records it (a retry records it if this one is lost). Destroying syncs and
  // compacts, so it runs on the workers, off the I/O threads.
  const std::string account_key = record->account_key;
  const bool queued = on_workers(
      ex, [keys = ex->auth->keys, customer_id] { return keys->destroy(customer_id); },
      [ex, customer_id, account_key](bool destroyed) {
        if (!destroyed) {
          return ex->respond(
              problem(503, "key_store_unavailable", "cannot destroy the customer's key; nothing changed"));
        }
        // Access tokens of the account stop now (on this gateway), not at their expiry.
        if (!account_key.empty()) ex->auth->verifier->revoke_subject("account:" + account_key, ex->auth->now());
        record_forgotten(ex, customer_id, account_key);
      });
  if (!queued) {
    ex->respond(problem(503, "overloaded", "too much key and password work is queued; retry shortly"));
  }
}

void customer_orders(const ExchangePtr& ex) {
  const auto limit = page_limit(ex);
  if (!limit) return;
  if (!may_see_customer(ex->principal, ex->param("customer_id"))) {
    return ex->respond(problem(404, "not_found", "no customer " + ex->param("customer_id")));
  }
  when_caught_up(ex, [ex, limit = *limit] {
    const auto& customer_id = ex->param("customer_id");
    const auto cursor = ex->request.query_param("cursor").value_or("");
    auto page = ex->services->read_models->customer_orders(customer_id, limit, cursor);
    if (!page) return ex->respond(validation_problem({{"cursor", "is not a cursor of this list"}}));
    if (page->items.empty() && cursor.empty() && !ex->services->read_models->customer_exists(customer_id)) {
      return ex->respond(problem(404, "not_found", "no customer " + customer_id));
    }
    json::array items;
    for (const auto& view : page->items) items.push_back(order_view_json(view));
    json::value next = page->next_cursor ? json::value(*page->next_cursor) : json::value(nullptr);
    ex->respond(json_response(json::object{{"items", std::move(items)}, {"next_cursor", std::move(next)}}));
  });
}

}  // namespace orderline::gateway::handlers
