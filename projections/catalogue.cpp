// Catalogue with available stock: product events set price, stock on hand and activity;
// the quantity committed to live orders (available = on hand - committed) follows the order
// events of orders placed without the saga, and the product's own holds (StockReserved,
// StockReleased, StockShipped) for orders the saga runs, where Product is the authority.
// Imported history (OrderPlaced.imported) moves no stock at all.
#include "projections/keys.h"
#include "projections/standard_projections.h"
#include "orderline/v1/views.pb.h"

namespace orderline::projections {
namespace {

class Catalogue final : public Projection {
 public:
  std::string name() const override { return "catalogue"; }
  std::vector<std::string> key_prefixes() const override { return {"p/", "l/"}; }

  void apply(const EventContext& ctx, BatchWriter& writer) override {
    const auto& e = ctx.event;
    switch (e.event_case()) {
      case v1::EventPayload::kProductCreated: {
        v1::ProductView view;
        view.set_sku(e.product_created().sku());
        view.set_name(e.product_created().name());
        *view.mutable_price() = e.product_created().price();
        view.set_on_hand(e.product_created().stock());
        view.set_active(true);
        save(writer, view, ctx);
        return;
      }
      case v1::EventPayload::kProductPriceChanged:
        return update(writer, ctx, e.product_price_changed().sku(),
                      [&](v1::ProductView& v) { *v.mutable_price() = e.product_price_changed().to(); });
      case v1::EventPayload::kProductRestocked:
        return update(writer, ctx, e.product_restocked().sku(),
                      [&](v1::ProductView& v) { v.set_on_hand(e.product_restocked().on_hand_after()); });
      case v1::EventPayload::kProductDiscontinued:
        return update(writer, ctx, e.product_discontinued().sku(),
                      [&](v1::ProductView& v) { v.set_active(false); });
      case v1::EventPayload::kStockReserved:
        return adjust(writer, e.stock_reserved().sku(), e.stock_reserved().quantity(), 0);
      case v1::EventPayload::kStockReleased:
        return adjust(writer, e.stock_released().sku(), -e.stock_released().quantity(), 0);
      case v1::EventPayload::kStockShipped:
        return adjust(writer, e.stock_shipped().sku(), -e.stock_shipped().quantity(), -e.stock_shipped().quantity());
      case v1::EventPayload::kOrderPlaced: {
        // Saga orders move stock through the product's own events; the others through their
        // order's, which need the lines later: the catalogue keeps its own copy of them, so it
        // never reads another projection's keys (and can be rebuilt alone).
        if (e.order_placed().saga()) return;
        // Imported history moves no stock (its goods left years ago): an empty copy of its
        // lines, so its OrderShipped (and a later return) finds nothing to adjust.
        if (e.order_placed().imported()) {
          writer.put(keys::catalogue_order_lines(order_id_of(ctx)), v1::OrderView{}.SerializeAsString());
          return;
        }
        v1::OrderView lines;
        for (const auto& line : e.order_placed().lines()) {
          adjust(writer, line.sku(), line.quantity(), 0);
          *lines.add_lines() = line;
        }
        writer.put(keys::catalogue_order_lines(order_id_of(ctx)), lines.SerializeAsString());
        return;
      }
      case v1::EventPayload::kOrderCancelled:
      case v1::EventPayload::kOrderExpired:
        return for_order_lines(writer, ctx, [&](const v1::OrderLine& line) {
          adjust(writer, line.sku(), -line.quantity(), 0);
        });
      case v1::EventPayload::kOrderShipped:
        // The goods leave the warehouse: no longer committed, no longer on hand.
        return for_order_lines(writer, ctx, [&](const v1::OrderLine& line) {
          adjust(writer, line.sku(), -line.quantity(), -line.quantity());
        });
      case v1::EventPayload::kOrderReturned:
        return for_order_lines(writer, ctx, [&](const v1::OrderLine& line) {
          adjust(writer, line.sku(), 0, line.quantity());
        });
      default:
        return;
    }
  }

 private:
  static void save(BatchWriter& writer, v1::ProductView& view, const EventContext& ctx) {
    if (ctx.envelope.stream_id().rfind("product-", 0) == 0) view.set_version(ctx.envelope.stream_version());
    writer.put(keys::product(view.sku()), view.SerializeAsString());
  }

  template <typename F>
  static void update(BatchWriter& writer, const EventContext& ctx, const std::string& sku, F&& change) {
    v1::ProductView view;
    auto stored = writer.get(keys::product(sku));
    if (!stored || !view.ParseFromString(*stored)) return;
    change(view);
    save(writer, view, ctx);
  }

  static void adjust(BatchWriter& writer, const std::string& sku, std::int64_t committed, std::int64_t on_hand) {
    v1::ProductView view;
    auto stored = writer.get(keys::product(sku));
    if (!stored || !view.ParseFromString(*stored)) return;
    view.set_committed(std::max<std::int64_t>(0, view.committed() + committed));
    view.set_on_hand(view.on_hand() + on_hand);
    writer.put(keys::product(sku), view.SerializeAsString());
  }

  static std::string_view order_id_of(const EventContext& ctx) {
    std::string_view order_id = ctx.envelope.stream_id();
    order_id.remove_prefix(std::min(order_id.size(), std::string_view("order-").size()));
    return order_id;
  }

  // The lines of an order placed without the saga, as placed (placement never changes them).
  // Stores written before the catalogue kept its own copy fall back to the order details
  // document (saga orders have neither copy, or a document saying so).
  template <typename F>
  static void for_order_lines(BatchWriter& writer, const EventContext& ctx, F&& each) {
    v1::OrderView order;
    auto stored = writer.get(keys::catalogue_order_lines(order_id_of(ctx)));
    if (!stored) stored = writer.get(keys::order(order_id_of(ctx)));
    if (!stored || !order.ParseFromString(*stored) || order.saga()) return;
    for (const auto& line : order.lines()) each(line);
  }
};

}  // namespace

std::unique_ptr<Projection> make_catalogue_projection() { return std::make_unique<Catalogue>(); }

}  // namespace orderline::projections
