#include "projections/postgres/order_fold.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace orderline::projections::pg {
namespace {

const v1::OrderMoved* moved(const v1::EventPayload& event) {
  switch (event.event_case()) {
    case v1::EventPayload::kOrderPaid: return &event.order_paid();
    case v1::EventPayload::kOrderShipped: return &event.order_shipped();
    case v1::EventPayload::kOrderDelivered: return &event.order_delivered();
    case v1::EventPayload::kOrderCancelled: return &event.order_cancelled();
    case v1::EventPayload::kOrderReturnRequested: return &event.order_return_requested();
    case v1::EventPayload::kOrderReturned: return &event.order_returned();
    case v1::EventPayload::kOrderConfirmed: return &event.order_confirmed();
    case v1::EventPayload::kOrderExpired: return &event.order_expired();
    case v1::EventPayload::kOrderPaymentActionRequired: return &event.order_payment_action_required();
    case v1::EventPayload::kOrderPaymentActionCompleted: return &event.order_payment_action_completed();
    // Moves no machine, but advances the order's version.
    case v1::EventPayload::kOrderStockReserved: return &v1::OrderMoved::default_instance();
    default: return nullptr;
  }
}

}  // namespace

std::int32_t utc_day(std::int64_t time_us) {
  constexpr std::int64_t kDayUs = 86'400'000'000;
  std::int64_t day = time_us / kDayUs;
  if (time_us % kDayUs < 0) --day;  // before 1970: round towards the past, like a calendar
  return static_cast<std::int32_t>(day);
}

bool counts_as_sale(const std::string& order_status) {
  return order_status != "cancelled" && order_status != "expired" && order_status != "returned";
}

std::string OrderFold::order_id_of(const std::string& stream_id) {
  constexpr std::string_view prefix = "order-";
  return stream_id.rfind(prefix, 0) == 0 ? stream_id.substr(prefix.size()) : std::string();
}

bool OrderFold::moves_an_order(const v1::EventPayload& event) { return moved(event) != nullptr; }

void OrderFold::preload(StoredOrder order) {
  auto id = order.header.order_id;
  orders_[id] = Working{std::move(order), false};
}

void OrderFold::count(const Working& working, int sign) {
  const auto& header = working.order.header;
  auto& customer = changes_.customers[{header.customer_id, header.currency}];
  customer.counted += sign;
  customer.value_minor += sign * header.total_minor;
  // Every delta carries a placement time, so the writer never proposes an empty one; an order
  // placed earlier lies within the stored first..last already, so this changes nothing there.
  customer.first_at_us = std::min(customer.first_at_us, header.created_at_us);
  customer.last_at_us = std::max(customer.last_at_us, header.created_at_us);
  const auto day = utc_day(header.created_at_us);
  auto& daily = changes_.daily[{day, header.currency}];
  daily.orders += sign;
  daily.revenue_minor += sign * header.total_minor;
  // An order with the same SKU on two lines is one order of that SKU.
  std::map<std::pair<std::string, std::string>, SalesDelta> by_sku;
  for (const auto& line : working.order.lines) {
    auto& sku = by_sku[{line.sku, line.currency}];
    sku.quantity += line.quantity;
    sku.revenue_minor += line.quantity * line.unit_price_minor;
  }
  for (const auto& [key, sums] : by_sku) {
    auto& product = changes_.daily_products[{day, key.first, key.second}];
    product.orders += sign;
    product.quantity += sign * sums.quantity;
    product.revenue_minor += sign * sums.revenue_minor;
  }
}

void OrderFold::apply(const EventContext& ctx) {
  const auto& envelope = ctx.envelope;
  const auto at_us = envelope.occurred_at_us();
  const v1::OrderMoved* move = moved(ctx.event);
  const google::protobuf::RepeatedPtrField<v1::Transition>* transitions = nullptr;
  std::string reason;
  Working* working = nullptr;

  if (ctx.event.event_case() == v1::EventPayload::kOrderPlaced) {
    const auto& placed = ctx.event.order_placed();
    const auto id = order_id_of(envelope.stream_id());
    Working fresh;
    fresh.placed_here = true;
    auto& header = fresh.order.header;
    header.order_id = id;
    header.customer_id = placed.customer_id();
    header.currency = placed.total().currency().empty() ? placed.currency() : placed.total().currency();
    header.total_minor = placed.total().amount_minor();
    header.created_at_us = at_us;
    int line_no = 0;
    for (const auto& line : placed.lines()) {
      fresh.order.lines.push_back(LineRow{id, ++line_no, line.sku(), line.name(), line.quantity(),
                                          line.unit_price().amount_minor(), line.unit_price().currency()});
    }
    working = &(orders_[id] = std::move(fresh));
    const auto& stored = working->order.header;
    auto& customer = changes_.customers[{stored.customer_id, stored.currency}];
    customer.placed += 1;
    customer.first_at_us = std::min(customer.first_at_us, at_us);
    customer.last_at_us = std::max(customer.last_at_us, at_us);
    transitions = &placed.transitions();
    reason = "placed";
  } else if (move) {
    auto it = orders_.find(order_id_of(envelope.stream_id()));
    if (it == orders_.end()) {
      spdlog::warn("postgres projector: {} of {} at {}/{} without a placement: skipped", envelope.type(),
                   envelope.stream_id(), ctx.record.partition, ctx.record.offset);
      return;
    }
    working = &it->second;
    transitions = &move->transitions();
    reason = move->reason();
  } else {
    return;
  }

  auto& header = working->order.header;
  // Before its placement an order counts for nothing.
  const bool counted_before = move != nullptr && counts_as_sale(header.status);
  for (const auto& t : *transitions) {
    if (t.machine() == "order") header.status = t.to();
    else if (t.machine() == "payment") header.payment_status = t.to();
    else if (t.machine() == "fulfillment") header.fulfillment_status = t.to();
    changes_.history.push_back(HistoryRow{header.order_id, envelope.stream_version(), t.machine(), t.from(), t.to(),
                                          at_us, reason, envelope.actor(), envelope.type()});
  }
  const bool counted_after = counts_as_sale(header.status);
  if (counted_before != counted_after) {
    count(*working, counted_after ? 1 : -1);
    if (!counted_after) {
      auto& customer = changes_.customers[{header.customer_id, header.currency}];
      (header.status == "returned" ? customer.returned : customer.cancelled) += 1;
    }
  }
  header.version = envelope.stream_version();
  header.updated_at_us = at_us;
  header.log_partition = ctx.record.partition;
  header.log_offset = ctx.record.offset;
  changes_.orders[header.order_id] = header;
}

RowChanges OrderFold::take() {
  for (const auto& [id, working] : orders_) {
    if (working.placed_here) {
      changes_.new_lines.insert(changes_.new_lines.end(), working.order.lines.begin(), working.order.lines.end());
    }
  }
  orders_.clear();
  return std::move(changes_);
}

}  // namespace orderline::projections::pg
