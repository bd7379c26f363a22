#include "gateway/stream_replay.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "domain/aggregate.h"
#include "gateway/stream_protocol.h"
#include "projections/order_feed.h"
#include "projections/standard_projections.h"

namespace orderline::gateway {
namespace {

std::uint64_t entry(const eventstore::PositionVector& position, std::uint32_t partition) {
  auto it = position.offsets.find(partition);
  return it == position.offsets.end() ? 0 : it->second;
}

// The pending batch of the fold, in memory.
class MemoryBatch final : public projections::BatchWriter {
 public:
  std::optional<std::string> get(std::string_view key) override {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override { values_[std::string(key)] = std::string(value); }
  void erase(std::string_view key) override {
    if (auto it = values_.find(key); it != values_.end()) values_.erase(it);
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// How long a replay waits for a stream index that trails the read models (see read_order).
constexpr int kIndexAttempts = 100;
constexpr std::chrono::milliseconds kIndexRetry{20};

struct Collector {
  const eventstore::EventLog& log;
  const projections::ReadModels& read_models;
  const eventstore::PositionVector& from;
  const eventstore::PositionVector& upto;
  std::size_t budget;
  std::vector<projections::OrderUpdate> updates;
  std::optional<std::string> error_code;
  std::string detail;

  bool spend(std::size_t events) {
    if (events > budget) {
      error_code = "resume_too_far";
      detail = "the resume would replay more than the server's limit of events; reload the state and subscribe without \"from\"";
      return false;
    }
    budget -= events;
    return true;
  }

  // The order's whole stream, at least up to what the read models have folded of it.
  //
  // Every update below `upto` is folded into the read models (the hub publishes a batch after
  // the fold), so the order's view names an event the stream must contain. A log whose stream
  // index trails its commits by a moment may answer with a shorter stream: Kafka under
  // `orderd serve` writes its index just after a commit returns, and the projector can fold the
  // commit first. Replaying that stream would leave a gap, so it is read again, briefly and
  // bounded (a rare race, on the replay thread), then refused as log_unavailable.
  std::optional<std::vector<eventstore::LogRecord>> read_order(std::string_view order_id) {
    const auto view = read_models.order(order_id);
    for (int attempt = 1;; ++attempt) {
      auto records = log.read_stream(domain::order_stream(order_id));
      if (!records) {
        error_code = "log_unavailable";
        detail = "cannot read the event log: " + records.detail;
        return std::nullopt;
      }
      const bool complete =
          !view || (!records.value->empty() && records.value->back().offset >= view->offset());
      if (complete) return std::move(*records.value);
      if (attempt == kIndexAttempts) {
        error_code = "log_unavailable";
        detail = "the event log's stream index is behind the read models; try again";
        return std::nullopt;
      }
      std::this_thread::sleep_for(kIndexRetry);
    }
  }

  // The updates of one order in [from, upto) of its partition, folded from its whole stream.
  bool order(std::string_view order_id) {
    auto records = read_order(order_id);
    if (!records) return false;
    if (!spend(records->size())) return false;
    auto projection = projections::make_order_details_projection();
    MemoryBatch batch;
    v1::EventEnvelope envelope;
    v1::EventPayload event;
    for (const auto& record : *records) {
      if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) continue;
      const projections::EventContext context{record, envelope, event};
      projection->apply(context, batch);
      if (record.offset < entry(from, record.partition) || record.offset >= entry(upto, record.partition)) continue;
      if (auto update = projections::order_update(context, batch)) updates.push_back(std::move(*update));
    }
    return true;
  }
};

}  // namespace

Replay replay_topic(const eventstore::EventLog& log, const projections::ReadModels& read_models, const Topic& topic,
                    const eventstore::PositionVector& from, const eventstore::PositionVector& upto,
                    std::size_t max_events) {
  Collector collector{log, read_models, from, upto, max_events, {}, {}, {}};
  Replay replay;
  bool ok = true;
  switch (topic.kind) {
    case Topic::Kind::order:
      ok = collector.order(topic.key);
      break;
    case Topic::Kind::customer: {
      // The customer's orders from the read models (they hold everything below `upto`),
      // skipping those whose last event is before `from`.
      std::string cursor;
      do {
        auto page = read_models.customer_orders(topic.key, 200, cursor);
        if (!page) break;
        for (const auto& view : page->items) {
          if (view.offset() < entry(from, view.partition())) continue;
          if (!(ok = collector.order(view.order_id()))) break;
        }
        cursor = page->next_cursor.value_or("");
      } while (ok && !cursor.empty());
      break;
    }
    case Topic::Kind::all: {
      // Which orders moved in [from, upto) on each partition, then each one's fold.
      std::set<std::string> orders;
      const std::string prefix = domain::order_stream("");
      for (std::uint32_t p = 0; ok && p < log.partition_count(); ++p) {
        for (std::uint64_t at = entry(from, p); ok && at < entry(upto, p);) {
          const auto want = std::min<std::uint64_t>(1024, entry(upto, p) - at);
          auto records = log.read(p, at, want);
          if (!records) {
            collector.error_code = "log_unavailable";
            collector.detail = "cannot read the event log: " + records.detail;
            ok = false;
            break;
          }
          // Nothing committed in [at, upto): Kafka's transaction markers (and aborted records)
          // take offsets that readers never see, as the projector knows too.
          if (records.value->empty()) break;
          if (!(ok = collector.spend(records.value->size()))) break;
          for (const auto& record : *records.value) {
            if (record.offset >= entry(upto, p)) break;
            if (record.key.rfind(prefix, 0) == 0) orders.insert(record.key.substr(prefix.size()));
          }
          at = records.value->back().offset + 1;
        }
      }
      for (auto it = orders.begin(); ok && it != orders.end(); ++it) ok = collector.order(*it);
      break;
    }
  }
  if (!ok) {
    replay.error_code = std::move(collector.error_code);
    replay.detail = std::move(collector.detail);
    return replay;
  }

  auto& updates = collector.updates;
  std::sort(updates.begin(), updates.end(), [](const auto& a, const auto& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  // Each replayed message's position says what the client has now seen: partitions already
  // replayed up to `upto`, this one up to the message, later ones still at `from`.
  eventstore::PositionVector seen = from;
  std::optional<std::uint32_t> current;
  for (auto& update : updates) {
    if (current != update.partition) {
      if (current) seen.offsets[*current] = std::max(entry(seen, *current), entry(upto, *current));
      current = update.partition;
    }
    seen.offsets[update.partition] = update.offset + 1;
    auto text = update_frame(update, eventstore::encode_position(seen));
    replay.messages.push_back(std::make_shared<const StreamMessage>(StreamMessage{std::move(update), std::move(text)}));
  }
  return replay;
}

}  // namespace orderline::gateway
