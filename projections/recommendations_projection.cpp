// Recommendations (issue 9): folds orders into co-purchase counts as they happen, through the
// model's own fold (projections/recommendations/co_purchase_fold.h), into this projection's
// keys (recommendation_keys.h), so `orderctl projections rebuild recommendations` rebuilds it
// like any other. An order counts when placed and is taken back when cancelled, expired or
// returned. A stored order record or item that does not decode throws: the projector retries
// the event, then parks it as a dead letter, instead of overwriting counts it cannot read.
// Pair and customer counts are merged without being read (counter_row.h); a row that does not
// decode fails the read or compaction that meets it.
#include <stdexcept>

#include "projections/counter_row.h"
#include "projections/recommendation_keys.h"
#include "projections/recommendations/co_purchase_fold.h"
#include "projections/standard_projections.h"

namespace orderline::projections {
namespace {

using namespace recommendations;

class BatchCountStore final : public CountStore {
 public:
  explicit BatchCountStore(BatchWriter& writer) : writer_(writer) {}

  std::optional<OrderRecord> order(std::string_view order_id) override {
    auto stored = writer_.get(recs_keys::order(order_id));
    if (!stored) return std::nullopt;
    auto record = recs_keys::decode_order(*stored);
    if (!record) throw std::runtime_error("undecodable recommendations order " + std::string(order_id));
    return record;
  }
  void put_order(std::string_view order_id, const OrderRecord& record) override {
    writer_.put(recs_keys::order(order_id), recs_keys::encode(record));
  }
  std::optional<ItemStats> item(std::string_view sku) override {
    auto stored = writer_.get(recs_keys::item(sku));
    if (!stored) return std::nullopt;
    auto stats = recs_keys::decode_item(*stored);
    if (!stats) throw std::runtime_error("undecodable recommendations item " + std::string(sku));
    return stats;
  }
  void put_item(std::string_view sku, const ItemStats& stats) override {
    writer_.put(recs_keys::item(sku), recs_keys::encode(stats));
  }
  void add_pairs(std::string_view sku, const std::vector<Counted>& deltas) override {
    writer_.add_counters(recs_keys::pairs(sku), encode_row(CounterRow(deltas.begin(), deltas.end())));
  }
  void add_customer_items(std::string_view customer_id, const std::vector<Counted>& deltas) override {
    writer_.add_counters(recs_keys::customer_items(customer_id), encode_row(CounterRow(deltas.begin(), deltas.end())));
  }
  Totals totals() override {
    auto stored = writer_.get(recs_keys::totals());
    return stored ? recs_keys::decode_totals(*stored) : Totals{};
  }
  void put_totals(const Totals& totals) override { writer_.put(recs_keys::totals(), recs_keys::encode(totals)); }

 private:
  BatchWriter& writer_;
};

std::string_view order_id_of(const EventContext& ctx) {
  std::string_view order_id = ctx.envelope.stream_id();
  order_id.remove_prefix(std::min(order_id.size(), std::string_view("order-").size()));
  return order_id;
}

class Recommendations final : public Projection {
 public:
  explicit Recommendations(FoldOptions options) : options_(options) {}
  std::string name() const override { return "recommendations"; }
  std::vector<std::string> key_prefixes() const override { return {std::string(recs_keys::kPrefix)}; }
  // 2: items hold weekly order counts (recommendation_keys.cpp) instead of a decayed sum.
  // 3: pair and customer counts are one counter row per item and per customer (merged, never
  // read while folding) instead of one key per pair and per (customer, item).
  int format() const override { return 3; }

  void apply(const EventContext& ctx, BatchWriter& writer) override {
    BatchCountStore store(writer);
    CoPurchaseFold fold(store, options_);
    const auto& e = ctx.event;
    switch (e.event_case()) {
      case v1::EventPayload::kOrderPlaced: {
        std::vector<BasketItem> items;
        for (const auto& line : e.order_placed().lines()) items.push_back({line.sku(), line.name()});
        fold.count(make_basket(std::string(order_id_of(ctx)), e.order_placed().customer_id(),
                               ctx.envelope.occurred_at_us(), std::move(items)));
        return;
      }
      case v1::EventPayload::kOrderCancelled:
      case v1::EventPayload::kOrderExpired:
      case v1::EventPayload::kOrderReturned:
        fold.retract(order_id_of(ctx));
        return;
      default:
        return;
    }
  }

 private:
  FoldOptions options_;
};

}  // namespace

std::unique_ptr<Projection> make_recommendations_projection(recommendations::FoldOptions options) {
  return std::make_unique<Recommendations>(options);
}

}  // namespace orderline::projections
