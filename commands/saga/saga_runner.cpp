#include "commands/saga/saga_runner.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <sys/resource.h>
#include <unistd.h>
#include <stdexcept>

#include "commands/command_labels.h"
#include "observability/log.h"

namespace orderline::commands::saga {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint/";
constexpr int kRunnerNice = 5;  // see run()
constexpr std::string_view kDuePrefix = "due/";

std::string checkpoint_key(std::uint32_t partition) { return std::string(kCheckpointPrefix) + std::to_string(partition); }
std::string due_key(const std::string& order_id) { return std::string(kDuePrefix) + order_id; }

std::string encode_i64(std::int64_t v) { return std::to_string(v); }

constexpr std::size_t kOrderCacheCapacity = 4096;  // orders whose saga is under way, about
const std::string kOrderStreamPrefix = domain::order_stream("");

// The order's state folded from its stream up to and including `version` (the event being
// reacted to), so a replay sees what the first run saw. Lower when the stream index trails.
std::optional<domain::AggregateState> fold_order(const eventstore::EventLog& log, const std::string& stream_id,
                                                 std::uint64_t version) {
  auto records = log.read_stream(stream_id);
  if (!records) return std::nullopt;
  auto state = domain::initial_state(stream_id);
  if (!std::holds_alternative<domain::OrderState>(state)) return std::nullopt;
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  for (const auto& record : *records.value) {
    if (domain::version_of(state) >= version) break;
    if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) return std::nullopt;
    domain::evolve(state, event);
  }
  return state;
}

}  // namespace

struct SagaRunner::Task {
  bool from_log = true;  // false: a time-out's command, not tied to an offset
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
  std::atomic<int> remaining{1};  // actions not finished, plus one held while they are started
};

SagaRunner::SagaRunner(const eventstore::EventLog& log, CommandBus& bus, PaymentProvider& payments, Timers& timers,
                       std::function<std::int64_t()> now_us, SagaOptions options)
    : log_(log),
      bus_(bus),
      payments_(payments),
      timers_(timers),
      now_us_(std::move(now_us)),
      options_(std::move(options)),
      orders_(kOrderCacheCapacity),
      next_(log.partition_count(), 0),
      pending_(log.partition_count()),
      saved_(log.partition_count(), 0) {
  std::filesystem::create_directories(options_.state_dir);
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options, options_.state_dir, &raw);
  if (!status.ok()) throw std::runtime_error("cannot open the saga state at " + options_.state_dir + ": " + status.ToString());
  db_.reset(raw);
  for (std::uint32_t p = 0; p < log.partition_count(); ++p) {
    std::string value;
    if (db_->Get(rocksdb::ReadOptions(), checkpoint_key(p), &value).ok()) next_[p] = saved_[p] = std::stoull(value);
  }
}

SagaRunner::~SagaRunner() { stop(); }

void SagaRunner::start() {
  // Re-arm the time-outs the index holds (DESIGN: re-armed on restore, never polled).
  std::vector<std::pair<std::string, std::int64_t>> stored;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(kDuePrefix)); it->Valid() && it->key().starts_with(std::string(kDuePrefix)); it->Next()) {
    stored.emplace_back(it->key().ToString().substr(kDuePrefix.size()), std::stoll(it->value().ToString()));
  }
  running_.store(true);
  for (const auto& [order_id, due] : stored) arm(order_id, due, false);
  thread_ = std::thread([this] { run(); });
}

void SagaRunner::stop() {
  if (!running_.exchange(false)) return;
  progress_.notify_all();
  if (thread_.joinable()) thread_.join();
  save_checkpoints();
  // Late answers only finish steps now (nothing is stored or sent), so the store can close
  // and a new runner can open it.
  std::lock_guard lock(mutex_);
  db_.reset();
}

void SagaRunner::run() {
  // Reactions are work nobody waits on synchronously (a 201 waits for the append, a pushed
  // frame or an after= read for the projector), so when the cores are short this thread gives
  // way: nice 5 weighs about a third of a normal thread, it is never starved. Measured at
  // 1,500 orders/s on 2 busy cores: WebSocket p99 down by about half, the saga still caught up
  // within a second of the HTTP peak (docs/performance.md). A refusal changes nothing else.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kRunnerNice);
  std::vector<std::uint64_t> ends(log_.partition_count());
  while (running_.load()) {
    bool progressed = false;
    for (std::uint32_t p = 0; p < log_.partition_count() && running_.load(); ++p) progressed |= step(p) > 0;

    std::deque<std::pair<std::shared_ptr<Task>, v1::Command>> again;
    {
      std::unique_lock lock(mutex_);
      again.swap(retries_);
      if (!again.empty()) {
        // A full queue refused these: give the workers a moment before asking again.
        progress_.wait_for(lock, std::chrono::milliseconds(20), [this] { return !running_.load(); });
      }
    }
    for (auto& [task, command] : again) {
      {
        std::lock_guard lock(mutex_);
        --steps_in_flight_;  // counted again by submit()
      }
      submit(task, std::move(command));
    }
    save_checkpoints();
    if (progressed || !again.empty()) continue;

    bool full = false;
    {
      std::lock_guard lock(mutex_);
      full = events_in_flight_ >= options_.max_in_flight;
    }
    if (full) {
      std::unique_lock lock(mutex_);
      progress_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    for (std::uint32_t p = 0; p < log_.partition_count(); ++p) ends[p] = log_.end_offset(p);
    log_.wait_any(ends, std::chrono::milliseconds(100));
  }
}

std::size_t SagaRunner::step(std::uint32_t partition) {
  std::uint64_t from = 0;
  {
    std::lock_guard lock(mutex_);
    if (events_in_flight_ >= options_.max_in_flight) return 0;
    from = next_[partition];
  }
  if (from >= log_.end_offset(partition)) return 0;
  auto records = log_.read(partition, from, options_.batch_size);
  if (!records) {
    observability::log("saga")->error("cannot read partition {} at {}: {}", partition, from, records.detail);
    return 0;
  }
  v1::EventEnvelope envelope;
  v1::EventPayload event;
  std::uint64_t next = records.value->empty() ? from : records.value->back().offset + 1;
  std::size_t reacted = 0;
  std::vector<PaymentCall> payments;
  for (const auto& record : *records.value) {
    if (!envelope.ParseFromString(record.value) || !event.ParseFromString(envelope.payload())) {
      observability::log("saga")->error("undecodable event at {}/{}: skipped", partition, record.offset);
      ++reacted;
      continue;
    }
    const domain::OrderState* order = nullptr;
    if (!needs_order(event)) {
      // Keeps a cached order current through the events react() needs no state for.
      if (envelope.stream_id().starts_with(kOrderStreamPrefix)) order_at(envelope, event, false);
    } else {
      order = order_at(envelope, event, true);
      if (!order) {
        observability::log("saga")->error("cannot load {} for its {} at {}/{}", envelope.stream_id(), envelope.type(),
                                          partition, record.offset);
      } else if (order->version < envelope.stream_version()) {
        // The stream index trails the log for a moment (the Kafka log indexes a batch just after
        // its commit made it readable): reacting to a state without this event would decide on
        // the past (e.g. not see the last line held, and never authorise). Come back to it.
        next = record.offset;
        break;
      }
    }
    ++reacted;
    auto actions = react(envelope, event, order, options_.policy);
    if (options_.observer) count_outcome(event, order);
    if (actions.empty()) continue;
    auto task = std::make_shared<Task>();
    task->partition = partition;
    task->offset = record.offset;
    task->remaining.store(static_cast<int>(actions.size()) + 1);
    {
      std::lock_guard lock(mutex_);
      pending_[partition][record.offset] = 1;
      ++events_in_flight_;
    }
    for (auto& action : actions) execute(task, std::move(action), payments);
    finish(task);  // the hold taken while starting them
  }
  // The step's payment calls together, in event order: a provider that syncs each movement
  // (the simulated one's ledger) syncs them once, instead of once per order on this thread.
  if (!payments.empty()) payments_.submit_all(std::move(payments));
  {
    std::lock_guard lock(mutex_);
    next_[partition] = next;
  }
  return reacted;
}

const domain::OrderState* SagaRunner::order_at(const v1::EventEnvelope& envelope, const v1::EventPayload& event,
                                               bool may_read) {
  const std::string& stream_id = envelope.stream_id();
  const std::uint64_t version = envelope.stream_version();
  // Usually the order as of its previous event is cached (the saga reacted to it a moment
  // ago): this event completes it, without reading and decoding the stream again.
  auto state = orders_.take(stream_id);
  if (!state && version == 1) state = domain::initial_state(stream_id);  // a new order: nothing to read
  if (state && domain::version_of(*state) + 1 == version) domain::evolve(*state, event);
  if (!state || domain::version_of(*state) != version) {
    if (!may_read) return nullptr;
    state = fold_order(log_, stream_id, version);
  }
  if (!state || !std::holds_alternative<domain::OrderState>(*state)) return nullptr;
  orders_.put(stream_id, std::move(*state));
  return std::get_if<domain::OrderState>(orders_.peek(stream_id));
}

void SagaRunner::execute(const std::shared_ptr<Task>& task, SagaAction action, std::vector<PaymentCall>& payments) {
  switch (action.kind) {
    case SagaAction::Kind::command: return submit(task, std::move(action.command));
    case SagaAction::Kind::arm:
      arm(action.order_id, action.due_us, true);
      return finish(task);
    case SagaAction::Kind::disarm:
      disarm(action.order_id);
      return finish(task);
    case SagaAction::Kind::payment: {
      {
        std::lock_guard lock(mutex_);
        ++steps_in_flight_;
      }
      const auto op = action.payment.op;
      payments.push_back({std::move(action.payment), [this, task, op, order_id = action.order_id,
                                                      correlation = std::move(action.correlation_id),
                                                      reply_id = std::move(action.reply_command_id)](PaymentResult result) {
        {
          std::lock_guard lock(mutex_);
          --steps_in_flight_;
        }
        if (options_.observer) options_.observer->on_step(to_string(op), result.outcome);
        // Stopped: the event stays after the checkpoint; the next start asks again (same key).
        if (!running_.load()) return;
        if (result.outcome == "failed") {
          observability::log("saga")->error("payment {} of order {} failed: {}", to_string(op), order_id, result.detail);
        }
        if (reply_id.empty()) return finish(task);
        submit(task, payment_reply(reply_id, order_id, result, correlation));
      }});
      return;
    }
  }
}

void SagaRunner::submit(const std::shared_ptr<Task>& task, v1::Command command) {
  {
    std::lock_guard lock(mutex_);
    ++steps_in_flight_;
  }
  command.set_issued_at_us(now_us_());
  v1::Command copy = command;
  bus_.submit(std::move(command), [this, task, copy = std::move(copy)](CommandReply reply) mutable {
    if (reply.kind == CommandReply::Kind::done) {
      {
        std::lock_guard lock(mutex_);
        --steps_in_flight_;
      }
      if (options_.observer) options_.observer->on_step(command_type(copy), reply.outcome.accepted() ? "accepted" : "rejected");
      if (!reply.outcome.accepted()) {
        observability::log("saga")->warn("{} {} refused: {} {}", command_type(copy), copy.command_id(),
                                         reply.outcome.error_code(), reply.outcome.error_detail());
      }
      return finish(task);
    }
    std::lock_guard lock(mutex_);
    if (!running_.load()) {
      // Stopping: left unfinished, so the event stays after the checkpoint for the next start.
      --steps_in_flight_;
      return;
    }
    retries_.emplace_back(task, std::move(copy));
    progress_.notify_all();
  });
}

void SagaRunner::finish(const std::shared_ptr<Task>& task) {
  if (task->remaining.fetch_sub(1) != 1) return;
  if (!task->from_log) return;
  std::lock_guard lock(mutex_);
  pending_[task->partition].erase(task->offset);
  --events_in_flight_;
  progress_.notify_all();
}

void SagaRunner::arm(const std::string& order_id, std::int64_t due_us, bool persist) {
  {
    std::lock_guard lock(mutex_);
    auto it = armed_.find(order_id);
    if (it != armed_.end() && it->second <= due_us) return;  // an earlier time-out already waits
    armed_[order_id] = due_us;
  }
  if (persist && db_) db_->Put(rocksdb::WriteOptions(), due_key(order_id), encode_i64(due_us));
  timers_.at(due_us, [this, order_id, due_us] { fire(order_id, due_us); });
}

void SagaRunner::disarm(const std::string& order_id) {
  {
    std::lock_guard lock(mutex_);
    if (armed_.erase(order_id) == 0) return;
  }
  if (db_) db_->Delete(rocksdb::WriteOptions(), due_key(order_id));
}

void SagaRunner::fire(const std::string& order_id, std::int64_t due_us) {
  {
    std::lock_guard lock(mutex_);
    auto it = armed_.find(order_id);
    if (!running_.load() || it == armed_.end() || it->second != due_us) return;  // disarmed or re-armed
  }
  // The order decides: expired if it still waits, nothing if it was confirmed meanwhile. Its
  // OrderExpired disarms the entry; one that stays (refused while stopping) is re-armed at start.
  auto task = std::make_shared<Task>();
  task->from_log = false;
  submit(task, expire_command(order_id, due_us));
}

void SagaRunner::save_checkpoints() {
  rocksdb::WriteBatch batch;
  std::vector<std::uint64_t> now;
  {
    std::lock_guard lock(mutex_);
    for (std::uint32_t p = 0; p < next_.size(); ++p) {
      now.push_back(pending_[p].empty() ? next_[p] : pending_[p].begin()->first);
    }
  }
  bool changed = false;
  for (std::uint32_t p = 0; p < now.size(); ++p) {
    if (now[p] == saved_[p]) continue;
    batch.Put(checkpoint_key(p), std::to_string(now[p]));
    changed = true;
  }
  if (!changed || !db_) return;
  if (db_->Write(rocksdb::WriteOptions(), &batch).ok()) saved_ = now;
}

void SagaRunner::count_outcome(const v1::EventPayload& event, const domain::OrderState* order) {
  if (!order || !order->saga) return;
  switch (event.event_case()) {
    case v1::EventPayload::kOrderConfirmed: return options_.observer->on_outcome("confirmed");
    case v1::EventPayload::kOrderExpired: return options_.observer->on_outcome("expired");
    case v1::EventPayload::kOrderCancelled: {
      const auto& reason = event.order_cancelled().reason();
      return options_.observer->on_outcome(reason == "out_of_stock" || reason == "payment_declined" ? reason
                                                                                                    : "cancelled");
    }
    default: return;
  }
}

bool SagaRunner::wait_idle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    bool caught_up = events_in_flight_ == 0 && steps_in_flight_ == 0 && retries_.empty();
    for (std::uint32_t p = 0; caught_up && p < next_.size(); ++p) caught_up = next_[p] >= log_.end_offset(p);
    if (caught_up) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    progress_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

SagaStats SagaRunner::stats() const {
  SagaStats stats;
  std::lock_guard lock(mutex_);
  stats.events_in_flight = events_in_flight_;
  stats.steps_in_flight = steps_in_flight_;
  stats.timeouts_armed = armed_.size();
  for (std::uint32_t p = 0; p < next_.size(); ++p) {
    stats.checkpoints.push_back(pending_[p].empty() ? next_[p] : pending_[p].begin()->first);
  }
  return stats;
}

}  // namespace orderline::commands::saga
