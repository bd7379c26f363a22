#include "projections/postgres/postgres_projector.h"

#include <algorithm>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <set>
#include <thread>
#include <stdexcept>

#include "projections/postgres/dead_letters.h"
#include "projections/postgres/migrations.h"
#include "projections/postgres/order_fold.h"
#include "projections/postgres/read_model_writer.h"
#include "projections/postgres/version_schemas.h"

namespace orderline::projections::pg {
namespace {

// libpq's messages end in newlines and span lines; logs and /readyz want one line. A session
// killed under libpqxx surfaces as an odd secondary error, so say what happened first.
std::string describe(const std::exception& error, bool connection_lost) {
  std::string text = error.what();
  for (auto& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return connection_lost ? "lost the connection to PostgreSQL (" + text + ")" : text;
}

}  // namespace

struct PostgresProjector::Decoded {
  const eventstore::LogRecord* record;
  v1::EventEnvelope envelope;
  v1::EventPayload event;
};

struct PostgresProjector::Parked {
  const eventstore::LogRecord* record;
  std::string event_type;
  std::string error;
  int attempts = 1;
};

PostgresProjector::PostgresProjector(const eventstore::EventLog& log, PostgresProjectorOptions options)
    : log_(log), options_(std::move(options)), id_{options_.projection, options_.version} {
  if (options_.dsn.empty()) throw std::invalid_argument("PostgreSQL projector: no connection string");
  if (options_.version < 0) throw std::invalid_argument("PostgreSQL projector: version must be 0 (live) or positive");
  if (options_.batch_size == 0) throw std::invalid_argument("PostgreSQL projector: batch_size must be positive");
  checkpoints_.assign(log_.partition_count(), 0);
}

PostgresProjector::~PostgresProjector() { stop(); }

void PostgresProjector::start() {
  if (thread_.joinable()) return;  // running already (or ended by itself: stop() first)
  {
    // A start after a stop on a poison event tries that event again (its checkpoint stayed).
    std::lock_guard lock(mutex_);
    if (health_.stopped) {
      health_.stopped = false;
      health_.error.clear();
    }
  }
  running_.store(true);
  thread_ = std::thread([this] { run(); });
}

void PostgresProjector::stop() {
  {
    std::lock_guard lock(mutex_);
    running_.store(false);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PostgresProjector::Health PostgresProjector::health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

std::vector<std::uint64_t> PostgresProjector::checkpoints() const {
  std::lock_guard lock(mutex_);
  return checkpoints_;
}

bool PostgresProjector::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, duration, [this] { return !running_.load(); });
  return running_.load();
}

std::string PostgresProjector::record_failure(const std::exception& error) {
  const bool lost = connection_ && !connection_->is_open();
  connection_.reset();  // whatever broke, the next attempt starts from a fresh connection
  auto text = describe(error, lost);
  std::lock_guard lock(mutex_);
  health_.connected = false;
  health_.error = text;
  return text;
}

void PostgresProjector::record_success() {
  std::lock_guard lock(mutex_);
  health_.connected = true;
  health_.error.clear();
}

void PostgresProjector::connect() {
  auto connection = std::make_unique<pqxx::connection>(options_.dsn);
  // Names the session in pg_stat_activity, for operators (and the reconnect test).
  pqxx::nontransaction(*connection).exec("SET application_name = 'orderline-projector'");
  apply_migrations(*connection);
  // Version 0 follows the live version (another orderd may have swapped it since our last
  // connect); a rebuild names its version, whose schema its caller created.
  const int version = options_.version > 0 ? options_.version : live_version(*connection, options_.projection);
  id_.version = version;
  schema_ = version_schema(version);
  prepare_checkpoint_statements(*connection);
  prepare_read_model_statements(*connection, schema_);
  // The stored checkpoints are the truth: after a lost COMMIT only they tell whether it landed.
  auto stored = load_checkpoints(*connection, id_, log_.partition_count());
  connection_ = std::move(connection);
  {
    std::lock_guard lock(mutex_);
    checkpoints_ = std::move(stored);
  }
  version_.store(version);
  record_success();
  spdlog::info("postgres projector {} v{}: connected", id_.name, id_.version);
}

PostgresProjector::Step PostgresProjector::step() {
  const auto partitions = log_.partition_count();
  std::vector<eventstore::LogRecord> records;
  std::vector<CheckpointAdvance> advances;
  for (std::uint32_t i = 0; i < partitions && records.size() < options_.batch_size; ++i) {
    const auto p = (first_partition_ + i) % partitions;
    if (!options_.only_partitions.empty() &&
        std::find(options_.only_partitions.begin(), options_.only_partitions.end(), p) == options_.only_partitions.end()) {
      continue;
    }
    const auto from = checkpoints_[p];
    const auto end = log_.end_offset(p);
    if (from >= end) continue;
    auto read = log_.read(p, from, options_.batch_size - records.size());
    if (!read) throw std::runtime_error("cannot read partition " + std::to_string(p) + ": " + read.detail);
    if (read.value->empty()) {
      // Nothing committed in [from, end): Kafka's transaction markers take offsets readers
      // never see. The checkpoint steps over them, so it reaches the log's end.
      advances.push_back({p, from, end});
      continue;
    }
    advances.push_back({p, from, read.value->back().offset + 1});
    records.insert(records.end(), std::make_move_iterator(read.value->begin()),
                   std::make_move_iterator(read.value->end()));
  }
  first_partition_ = (first_partition_ + 1) % partitions;
  if (records.empty() && advances.empty()) return Step::idle;

  std::vector<Decoded> events;
  events.reserve(records.size());
  std::vector<Parked> unreadable;
  for (const auto& record : records) {
    Decoded d{&record, {}, {}};
    if (!d.envelope.ParseFromString(record.value) || !d.event.ParseFromString(d.envelope.payload())) {
      if (options_.on_poison == PoisonPolicy::park) {
        spdlog::error("postgres projector {} v{}: undecodable event at {}/{}: parked as a dead letter", id_.name,
                      id_.version, record.partition, record.offset);
      }
      unreadable.push_back({&record, "", "the record does not decode as an event", 1});
      continue;
    }
    events.push_back(std::move(d));
  }
  // Stopping on poison: the records before the undecodable one fold, and the projector stops
  // on it (it never reaches a batch transaction that would park it).
  if (options_.on_poison == PoisonPolicy::stop && !unreadable.empty()) {
    return fold_one_at_a_time(records, events, unreadable, advances);
  }
  std::vector<const Decoded*> all;
  all.reserve(events.size());
  for (const auto& d : events) all.push_back(&d);
  try {
    return commit(all, advances, unreadable) == Commit::fenced ? Step::fenced : Step::applied;
  } catch (const pqxx::sql_error& error) {
    if (!is_data_error(error)) throw;
    spdlog::warn("postgres projector {} v{}: a batch of {} events failed on its data ({}); folding them one at a "
                 "time to find the poison event",
                 id_.name, id_.version, events.size(), describe(error, false));
  }
  reconnect_after_data_error();
  return fold_one_at_a_time(records, events, unreadable, advances);
}

PostgresProjector::Commit PostgresProjector::commit(const std::vector<const Decoded*>& events,
                                                    const std::vector<CheckpointAdvance>& advances,
                                                    const std::vector<Parked>& parked) {
  const auto tx_started = std::chrono::steady_clock::now();
  pqxx::work tx(*connection_, "batch");
  // First, so a competing projector blocks on the checkpoint rows rather than on read-model rows.
  if (!advance_checkpoints(tx, id_, advances)) {
    tx.abort();
    if (options_.reload_on_fence) {
      auto stored = load_checkpoints(*connection_, id_, log_.partition_count());
      spdlog::info("postgres projector {} v{}: a checkpoint moved under us (a hand-over in the group); reloaded",
                   id_.name, id_.version);
      std::lock_guard lock(mutex_);
      checkpoints_ = std::move(stored);
      return Commit::reloaded;  // step again at once, from the stored checkpoints
    }
    report_fence(advances);
    return Commit::fenced;
  }
  std::vector<EventContext> contexts;
  contexts.reserve(events.size());
  for (const auto* d : events) contexts.push_back(EventContext{*d->record, d->envelope, d->event});
  fold_and_write(tx, contexts, schema_);
  for (const auto& letter : parked) {
    park_dead_letter(tx, id_.name, *letter.record, letter.event_type, letter.error, letter.attempts);
  }
  tx.commit();
  if (options_.observer) {
    options_.observer->on_batch(events.size() + parked.size(), std::chrono::steady_clock::now() - tx_started);
  }

  {
    std::lock_guard lock(mutex_);
    for (const auto& a : advances) checkpoints_[a.partition] = a.next;
    health_.connected = true;
    health_.error.clear();
  }
  applied_events_.fetch_add(events.size() + parked.size());
  return Commit::committed;
}

void PostgresProjector::reconnect_after_data_error() {
  // A statement that failed inside a COPY can leave libpqxx 6's connection out of step with
  // the server (the next statement waits for an answer that never comes): start afresh. The
  // failed transaction committed nothing, so the stored checkpoints are still ours.
  connection_.reset();
  connect();
}

PostgresProjector::Step PostgresProjector::fold_one_at_a_time(const std::vector<eventstore::LogRecord>& records,
                                                              const std::vector<Decoded>& events,
                                                              const std::vector<Parked>& unreadable,
                                                              const std::vector<CheckpointAdvance>& advances) {
  // Each record alone, in log order, its checkpoint moved just past it: the good ones fold, the
  // poison one fails on its own, is retried, and is then parked with its checkpoint step.
  std::size_t next_event = 0, next_unreadable = 0;
  for (const auto& record : records) {
    const CheckpointAdvance step{record.partition, checkpoints_[record.partition], record.offset + 1};
    Commit result;
    if (next_unreadable < unreadable.size() && unreadable[next_unreadable].record == &record) {
      if (options_.on_poison == PoisonPolicy::stop) {
        report_stop(record, "", unreadable[next_unreadable].error);
        return Step::stopped;
      }
      result = commit({}, {step}, {unreadable[next_unreadable++]});
    } else {
      const Decoded& d = events[next_event++];
      std::string failure;
      int attempts = 0;
      auto backoff = options_.min_backoff;
      for (;;) {
        ++attempts;
        try {
          result = commit({&d}, {step}, {});
          break;
        } catch (const pqxx::sql_error& error) {
          if (!is_data_error(error)) throw;
          failure = describe(error, false);
        }
        reconnect_after_data_error();
        if (attempts >= options_.poison_attempts && options_.on_poison == PoisonPolicy::stop) {
          report_stop(record, d.envelope.type(), fmt::format("failed {} times: {}", attempts, failure));
          return Step::stopped;
        }
        if (attempts >= options_.poison_attempts) {
          spdlog::error("postgres projector {} v{}: {} at {}/{} failed {} times ({}): parked as a dead letter",
                        id_.name, id_.version, d.envelope.type(), record.partition, record.offset, attempts, failure);
          result = commit({}, {step}, {Parked{&record, d.envelope.type(), failure, attempts}});
          break;
        }
        // Stopping: the rest waits for the next start. (catch_up() runs unstarted: it just waits.)
        if (!thread_.joinable()) std::this_thread::sleep_for(backoff);
        else if (!sleep_for(backoff)) return Step::applied;
        backoff = std::min(backoff * 2, options_.max_backoff);
      }
    }
    if (result == Commit::fenced) return Step::fenced;
    if (result == Commit::reloaded) return Step::applied;
  }
  // Transaction markers after the last record: their offsets too.
  std::vector<CheckpointAdvance> rest;
  for (const auto& a : advances) {
    if (checkpoints_[a.partition] < a.next) rest.push_back({a.partition, checkpoints_[a.partition], a.next});
  }
  if (!rest.empty() && commit({}, rest, {}) == Commit::fenced) return Step::fenced;
  return Step::applied;
}

void PostgresProjector::report_fence(const std::vector<CheckpointAdvance>& advances) {
  std::string detail;
  try {
    // For the log line only: which checkpoint moved, and to where.
    const auto stored = load_checkpoints(*connection_, id_, log_.partition_count());
    for (const auto& a : advances) {
      if (stored[a.partition] != a.expected) {
        detail += fmt::format("{}partition {}: expected {}, stored {}", detail.empty() ? "" : "; ", a.partition,
                              a.expected, stored[a.partition]);
      }
    }
  } catch (const std::exception& e) {
    detail = std::string("cannot read the stored checkpoints: ") + e.what();
  }
  const auto message = fmt::format(
      "fenced: another projector advanced the checkpoints of {} v{} ({}); this one stopped and applied nothing",
      id_.name, id_.version, detail.empty() ? "no detail" : detail);
  spdlog::error("postgres projector: {}", message);
  std::lock_guard lock(mutex_);
  health_.fenced = true;
  health_.error = message;
}

void PostgresProjector::report_stop(const eventstore::LogRecord& record, const std::string& event_type,
                                    const std::string& error) {
  // The words of a stopped RocksDB projection (Projector), so operators read one language.
  const auto message = fmt::format("stopped on the event at {}/{} ({}stream {}): {}", record.partition, record.offset,
                                   event_type.empty() ? "" : event_type + ", ", record.key, error);
  spdlog::error("postgres projector {} v{}: {}; `orderctl projections resume {}` tries it again", id_.name,
                id_.version, message, id_.name);
  std::lock_guard lock(mutex_);
  health_.stopped = true;
  health_.error = message;
}

PostgresProjector::CatchUpResult PostgresProjector::connect_only() {
  CatchUpResult result;
  try {
    if (!connection_) connect();
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = record_failure(e);
  }
  return result;
}

PostgresProjector::CatchUpResult PostgresProjector::catch_up() {
  CatchUpResult result;
  const auto before = applied_events_.load();
  try {
    if (!connection_) connect();
    for (;;) {
      const auto outcome = step();
      if (outcome == Step::idle) break;
      if (outcome == Step::stopped) {
        result.stopped = true;
        result.error = health().error;
        result.events = applied_events_.load() - before;
        return result;
      }
      if (outcome == Step::fenced) {
        result.fenced = true;
        result.error = health().error;
        result.events = applied_events_.load() - before;
        return result;
      }
    }
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = record_failure(e);
  }
  result.events = applied_events_.load() - before;
  return result;
}

void PostgresProjector::run() {
  auto backoff = options_.min_backoff;
  auto last_contact = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> ends(log_.partition_count(), 0);
  while (running_.load()) {
    try {
      if (!connection_) connect();
      const auto outcome = step();
      backoff = options_.min_backoff;
      // For good (fenced), or until resumed (stopped on a poison event): an operator has to look at it.
      if (outcome == Step::fenced || outcome == Step::stopped) return;
      if (outcome == Step::applied) {
        last_contact = std::chrono::steady_clock::now();
        continue;
      }
      // Idle. An idle connection does not notice a server that went away, so check it now and
      // then: /readyz should say so before the next event needs it.
      if (std::chrono::steady_clock::now() - last_contact >= options_.ping_interval) {
        pqxx::nontransaction(*connection_).exec("SELECT 1");
        record_success();
        last_contact = std::chrono::steady_clock::now();
      }
      for (std::uint32_t p = 0; p < log_.partition_count(); ++p) ends[p] = log_.end_offset(p);
      log_.wait_any(ends, std::chrono::milliseconds(100));
    } catch (const std::exception& e) {
      spdlog::warn("postgres projector: {}; retrying in {} ms", record_failure(e), backoff.count());
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

}  // namespace orderline::projections::pg
