// POST /api/v1/admin/import/orders (admin): one batch of an earlier system's history, as
// ordinary commands — RegisterCustomer (name sealed with the customer's own key),
// CreateProduct, then ImportHistoricalOrder — with ids derived from the source's keys
// (import_batch.h), so a second import of the same history creates nothing new.
//
// Answers 200 with what happened to each kind:
//   {"customers": {"created", "already_present", "rejected"}, "products": {...}, "orders": {...},
//    "rejections": [{"kind", "key", "code", "detail", "field"}], "position"}
// "already_present": the stream existed before (an earlier import, or made another way).
// A command the engine could not take now (queue full, time-out, log down) answers that
// reply's problem (429/503/504) for the whole batch: a retry of the batch is safe.
#include <boost/json.hpp>

#include <memory>
#include <set>

#include "domain/aggregate.h"
#include "eventstore/position.h"
#include "gateway/auth/personal_data.h"
#include "gateway/auth_runtime.h"
#include "gateway/handlers.h"
#include "gateway/import_batch.h"
#include "gateway/json_mapping.h"
#include "gateway/request_ids.h"
#include "gateway/route_support.h"

namespace orderline::gateway::handlers {
namespace json = boost::json;

namespace {

// Rejections listed in one answer; the counts stay exact beyond it.
constexpr std::size_t kMaxListedRejections = 100;

struct Tally {
  std::size_t created = 0;
  std::size_t already_present = 0;
  std::size_t rejected = 0;
  json::object to_json() const {
    return {{"created", created}, {"already_present", already_present}, {"rejected", rejected}};
  }
};

// One batch, run on the connection's strand (where handlers and command replies run, so
// nothing here needs a lock): customers and products first, then the orders that need them.
class ImportRun : public std::enable_shared_from_this<ImportRun> {
 public:
  ImportRun(ExchangePtr ex, ImportBatch batch) : ex_(std::move(ex)), batch_(std::move(batch)) {}

  void start() {
    for (const auto& customer : batch_.customers) {
      if (!submit_customer(customer)) return;
    }
    for (const auto& product : batch_.products) {
      if (!submit_product(product)) return;
    }
    phase_submitted_ = true;
    if (pending_ == 0) submit_orders();
  }

 private:
  enum class Kind { customer, product, order };

  // Once: after a failure half-way, the replies still coming in only count down.
  void answer(Response response) {
    if (answered_) return;
    answered_ = true;
    ex_->respond(std::move(response));
  }

  // Answers 503 and returns nullopt when the log cannot be read.
  std::optional<bool> exists(const std::string& stream_id) {
    auto records = ex_->services->log->read_stream(stream_id);
    if (!records) {
      answer(problem(503, "log_unavailable", "cannot read the event log: " + records.detail));
      return std::nullopt;
    }
    return !records.value->empty();
  }

  // The same key twice in one batch is one item: the second is already present.
  bool repeated(Kind kind, const std::string& key) {
    if (seen_[static_cast<int>(kind)].insert(key).second) return false;
    ++tally(kind).already_present;
    return true;
  }

  bool submit_customer(const ImportedCustomer& customer) {
    if (repeated(Kind::customer, customer.key)) return true;
    const auto customer_id = imported_customer_id(batch_.source, customer.key);
    const auto stream = domain::customer_stream(customer_id);
    const auto present = exists(stream);
    if (!present) return false;
    if (*present) return ++customers_.already_present, true;
    if (!ex_->auth->keys) {
      answer(problem(503, "not_configured", "this server has no customer key store"));
      return false;
    }
    auto secret = ex_->auth->keys->get_or_create(customer_id);
    if (!secret) {
      answer(problem(503, "key_store_unavailable", "cannot store the customer's key"));
      return false;
    }
    v1::PersonalData data;
    data.set_name(customer.name);
    // The hash covers the plain name, so a retry (sealed anew, with a new nonce) matches.
    auto command = new_command(ex_, "import-customer-" + customer_id, stream, -1, principal_label(ex_),
                               sha256("import customer\n" + batch_.source + "\n" + customer.key + "\n" + customer.name));
    command.mutable_register_customer()->set_customer_id(customer_id);
    command.mutable_register_customer()->set_sealed_personal_data(auth::seal(*secret, data.SerializeAsString()));
    submit(std::move(command), Kind::customer, customer.key);
    return true;
  }

  bool submit_product(const v1::CreateProduct& product) {
    if (repeated(Kind::product, product.sku())) return true;
    const auto stream = domain::product_stream(product.sku());
    const auto present = exists(stream);
    if (!present) return false;
    if (*present) return ++products_.already_present, true;
    auto command = new_command(ex_, imported_product_command_id(batch_.source, product.sku()), stream, -1,
                               principal_label(ex_), sha256("import product\n" + product.SerializeAsString()));
    *command.mutable_create_product() = product;
    submit(std::move(command), Kind::product, product.sku());
    return true;
  }

  void submit_orders() {
    phase_submitted_ = false;
    orders_started_ = true;
    for (auto& order : batch_.orders) {
      if (repeated(Kind::order, order.key)) continue;
      const auto order_id = imported_order_id(batch_.source, order.key);
      const auto stream = domain::order_stream(order_id);
      const auto present = exists(stream);
      if (!present) return;
      if (*present) {
        ++orders_.already_present;
        continue;
      }
      auto& body = order.body;
      body.set_order_id(order_id);
      body.set_customer_id(imported_customer_id(batch_.source, order.customer_key));
      body.set_source(batch_.source + " " + order.key);
      auto command = new_command(ex_, "import-order-" + order_id, stream, -1, principal_label(ex_),
                                 sha256("import order\n" + body.SerializeAsString()));
      *command.mutable_import_historical_order() = body;
      submit(std::move(command), Kind::order, order.key);
    }
    phase_submitted_ = true;
    if (pending_ == 0) finish();
  }

  void submit(v1::Command command, Kind kind, std::string key) {
    ++pending_;
    submit_command_then(ex_, std::move(command),
                        [self = shared_from_this(), kind, key = std::move(key)](const commands::CommandReply& reply) {
                          self->replied(reply, kind, key);
                        });
  }

  Tally& tally(Kind kind) {
    switch (kind) {
      case Kind::customer: return customers_;
      case Kind::product: return products_;
      case Kind::order: break;
    }
    return orders_;
  }

  void replied(const commands::CommandReply& reply, Kind kind, const std::string& key) {
    --pending_;
    const auto& outcome = reply.outcome;
    if (reply.kind != commands::CommandReply::Kind::done) {
      if (!transient_) transient_ = reply;
    } else if (outcome.accepted()) {
      ++tally(kind).created;
      eventstore::PositionVector at;
      at.offsets[outcome.partition()] = outcome.offset();
      position_.merge_max(at);
    } else if (outcome.error_code() == domain::codes::already_exists) {
      ++tally(kind).already_present;  // made between our look and our command
    } else {
      ++tally(kind).rejected;
      if (rejections_.size() < kMaxListedRejections) {
        static constexpr const char* kKindNames[] = {"customer", "product", "order"};
        rejections_.push_back(json::object{{"kind", kKindNames[static_cast<int>(kind)]},
                                           {"key", key},
                                           {"code", outcome.error_code()},
                                           {"detail", outcome.error_detail()},
                                           {"field", outcome.error_field()}});
      }
    }
    if (pending_ != 0 || !phase_submitted_ || answered_) return;
    if (!orders_started_) {
      // An order may only be decided once its customer and products are in the log.
      if (transient_) return answer(reply_problem(*transient_));
      return submit_orders();
    }
    finish();
  }

  void finish() {
    if (transient_) return answer(reply_problem(*transient_));
    answer(json_response(json::object{{"customers", customers_.to_json()},
                                            {"products", products_.to_json()},
                                            {"orders", orders_.to_json()},
                                            {"rejections", rejections_},
                                            {"position", eventstore::encode_position(position_)}}));
  }

  ExchangePtr ex_;
  ImportBatch batch_;
  std::size_t pending_ = 0;
  bool phase_submitted_ = false;  // every command of the current phase is submitted
  bool orders_started_ = false;
  bool answered_ = false;
  Tally customers_, products_, orders_;
  std::set<std::string> seen_[3];  // keys per Kind
  json::array rejections_;
  eventstore::PositionVector position_;
  std::optional<commands::CommandReply> transient_;  // the first reply that was no outcome
};

}  // namespace

void import_orders(const ExchangePtr& ex) {
  auto body = read_json_body(ex, true);
  if (!body) return;
  auto parsed = parse_import_batch(*body);
  if (!parsed.ok()) return ex->respond(validation_problem(std::move(parsed.errors)));
  std::make_shared<ImportRun>(ex, std::move(parsed.value))->start();
}

}  // namespace orderline::gateway::handlers
