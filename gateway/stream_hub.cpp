#include "gateway/stream_hub.h"

#include <algorithm>

#include "gateway/stream_protocol.h"
#include "observability/log.h"
#include "observability/log_context.h"

namespace orderline::gateway {
namespace {

void erase_id(std::vector<std::uint64_t>& ids, std::uint64_t id) {
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
}

}  // namespace

void StreamHub::on_start(const eventstore::PositionVector& folded) {
  std::lock_guard lock(mutex_);
  published_.merge_max(folded);
}

std::uint64_t StreamHub::new_subscriber_id() {
  std::lock_guard lock(mutex_);
  return next_id_++;
}

void StreamHub::on_batch(std::uint32_t partition, std::uint64_t next_offset,
                         std::vector<projections::OrderUpdate> updates) {
  // Locked targets outlive the lock: dropping the last reference to a connection runs its
  // destructor, which calls remove() and takes the lock again.
  std::vector<std::shared_ptr<StreamSubscriber>> handed_over;
  std::lock_guard lock(mutex_);
  // Per subscriber, the batch's messages in log order; one hand-over per subscriber.
  std::unordered_map<std::uint64_t, std::vector<MessagePtr>> out;
  std::vector<std::uint64_t> targets;
  for (auto& update : updates) {
    auto& mine = published_.offsets[partition];
    mine = std::max(mine, update.offset + 1);
    targets.clear();
    if (auto it = by_order_.find(update.order_id); it != by_order_.end()) {
      targets.insert(targets.end(), it->second.begin(), it->second.end());
    }
    if (auto it = by_customer_.find(update.customer_id); it != by_customer_.end()) {
      targets.insert(targets.end(), it->second.begin(), it->second.end());
    }
    targets.insert(targets.end(), all_.begin(), all_.end());
    if (targets.empty()) continue;
    // One connection with two matching topics gets the update once.
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    if (observability::should_log(spdlog::level::debug)) {
      // In the request chain that caused the event: one id finds the request, the command,
      // the projection and this push.
      observability::ScopedLogContext scope(update.correlation_id, update.causation_id);
      observability::log("gateway")->debug("pushing {} of order {} v{} to {} WebSocket connection(s)", update.type,
                                           update.order_id, update.version, targets.size());
    }
    // The message's position covers everything published up to and including it, so a
    // client that resumes from it misses nothing on any partition.
    auto text = update_frame(update, eventstore::encode_position(published_));
    auto message = std::make_shared<const StreamMessage>(StreamMessage{std::move(update), std::move(text)});
    for (auto id : targets) out[id].push_back(message);
  }
  auto& mine = published_.offsets[partition];
  mine = std::max(mine, next_offset);
  // Handed over under the lock, so a concurrent subscribe() sees either all of this batch
  // live or all of it in its replay range.
  for (auto& [id, messages] : out) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) continue;
    if (auto target = it->second.target.lock()) {
      target->deliver(std::move(messages));
      handed_over.push_back(std::move(target));
    }
  }
}

eventstore::PositionVector StreamHub::subscribe(std::uint64_t id, std::weak_ptr<StreamSubscriber> subscriber,
                                                const Topic& topic) {
  std::lock_guard lock(mutex_);
  auto& entry = subscribers_[id];
  entry.target = std::move(subscriber);
  if (std::find(entry.topics.begin(), entry.topics.end(), topic) == entry.topics.end()) {
    entry.topics.push_back(topic);
    switch (topic.kind) {
      case Topic::Kind::order: by_order_[topic.key].push_back(id); break;
      case Topic::Kind::customer: by_customer_[topic.key].push_back(id); break;
      case Topic::Kind::all: all_.push_back(id); break;
    }
  }
  return published_;
}

void StreamHub::unindex(std::uint64_t id, const Topic& topic) {
  auto from_map = [&](auto& index) {
    auto it = index.find(topic.key);
    if (it == index.end()) return;
    erase_id(it->second, id);
    if (it->second.empty()) index.erase(it);
  };
  switch (topic.kind) {
    case Topic::Kind::order: from_map(by_order_); break;
    case Topic::Kind::customer: from_map(by_customer_); break;
    case Topic::Kind::all: erase_id(all_, id); break;
  }
}

void StreamHub::unsubscribe(std::uint64_t id, const Topic& topic) {
  std::lock_guard lock(mutex_);
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  auto& topics = it->second.topics;
  auto found = std::find(topics.begin(), topics.end(), topic);
  if (found == topics.end()) return;
  topics.erase(found);
  unindex(id, topic);
  if (topics.empty()) subscribers_.erase(it);
}

void StreamHub::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  for (const auto& topic : it->second.topics) unindex(id, topic);
  subscribers_.erase(it);
}

eventstore::PositionVector StreamHub::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::size_t StreamHub::subscriptions() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, entry] : subscribers_) n += entry.topics.size();
  return n;
}

}  // namespace orderline::gateway
