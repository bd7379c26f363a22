#include "cli/demo_catalogue.h"

#include <future>
#include <stdexcept>

#include "domain/aggregate.h"

namespace orderline::cli {
namespace {

struct DemoProduct {
  const char* sku;
  const char* name;
  std::int64_t price_minor;
  std::int64_t stock;
};

constexpr DemoProduct kDemoProducts[] = {
    {"COFFEE-1KG", "House blend coffee beans, 1 kg", 1999, 1000},
    {"TEA-GREEN-250", "Sencha green tea, 250 g", 899, 1000},
    {"MUG-CLASSIC", "Classic stoneware mug", 1250, 1000},
    {"GRINDER-HAND", "Hand coffee grinder", 4900, 1000},
    {"FILTER-PAPER-100", "Paper filters, pack of 100", 450, 1000},
};

}  // namespace

eventstore::PositionVector seed_demo_catalogue(commands::CommandBus& bus) {
  eventstore::PositionVector reached;
  for (const auto& product : kDemoProducts) {
    v1::Command command;
    command.set_command_id(std::string("seed-") + product.sku);
    command.set_stream_id(domain::product_stream(product.sku));
    command.set_expected_version(-1);
    command.set_actor("system:demo-catalogue");
    command.set_request_hash(command.command_id());
    auto* create = command.mutable_create_product();
    create->set_sku(product.sku);
    create->set_name(product.name);
    create->mutable_price()->set_amount_minor(product.price_minor);
    create->mutable_price()->set_currency("EUR");
    create->set_stock(product.stock);

    std::promise<commands::CommandReply> promise;
    auto answer = promise.get_future();
    bus.submit(command, [&promise](commands::CommandReply reply) { promise.set_value(std::move(reply)); });
    auto reply = answer.get();
    if (reply.kind != commands::CommandReply::Kind::done ||
        (!reply.outcome.accepted() && reply.outcome.error_code() != domain::codes::already_exists)) {
      throw std::runtime_error(std::string("cannot seed demo product ") + product.sku + ": " +
                               reply.outcome.error_detail());
    }
    reached.merge_max(eventstore::PositionVector{{{reply.outcome.partition(), reply.outcome.offset()}}});
  }
  return reached;
}

}  // namespace orderline::cli
