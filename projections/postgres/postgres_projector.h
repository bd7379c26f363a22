#pragma once
// The PostgreSQL projector runtime: follows every partition of the event log from its
// checkpoints (orderline.projection_checkpoints) and folds each batch of events into the order
// read models (schema orderline_v1, queried through the views of schema orderline) in ONE
// transaction that also advances the checkpoints by compare-and-set. Hence:
//   - a crash or a lost connection at any point leaves either the whole batch with its
//     checkpoint or neither: nothing is skipped, nothing applied twice;
//   - a second projector from a stale checkpoint updates zero checkpoint rows, rolls back and
//     stops ("fenced"), so it never double-applies;
//   - when the server goes away the projector retries with exponential backoff, and on every
//     reconnect re-applies migrations and resumes from the checkpoint stored in the database
//     (the only truth when a COMMIT's outcome was unknown).
// It runs beside the RocksDB projector, reading the same log on its own thread.
//
//   PostgresProjector projector(log, {.dsn = "postgresql://postgres@127.0.0.1:5432/orderline"});
//   projector.start();            // background: connect, migrate, follow the log
//   ...  projector.health()       // for /readyz
//   projector.stop();
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_log.h"
#include "projections/postgres/checkpoints.h"
#include "projections/projector.h"

// pqxx::connection is an alias in libpqxx 6 (Debian 12), so it cannot be forward-declared.
#include <pqxx/connection>

namespace orderline::projections::pg {

// Told of every batch the PostgreSQL projector commits (metrics), so this layer knows nothing
// of Prometheus. Called on the projector's thread; must be cheap and never block.
class PostgresProjectorObserver {
 public:
  virtual ~PostgresProjectorObserver() = default;
  // `events` folded in one transaction (checkpoint compare-and-set, fold, writes, COMMIT)
  // that took `transaction` from BEGIN to the end of COMMIT.
  virtual void on_batch(std::size_t events, std::chrono::nanoseconds transaction) = 0;
};

struct PostgresProjectorOptions {
  std::string dsn;                                // libpq URI or key=value string
  std::string projection = "orders";              // checkpoint name of these read models
  // Read-model version (tables in schema orderline_v<version>). 0: the live one, as recorded in
  // orderline.projection_versions at each connect; N: version N (a rebuild's).
  int version = 0;
  std::size_t batch_size = 16384;                 // events per transaction, across partitions (catch-up)
  std::chrono::milliseconds min_backoff{100};     // first wait after a failure, doubled up to...
  std::chrono::milliseconds max_backoff{5000};    // ...this
  std::chrono::milliseconds ping_interval{1000};  // when idle, how often the server is checked
  // Empty: every partition (a lone projector). Else only these: one member of a projector group
  // that splits the partitions (orderd projector on Kafka).
  std::vector<std::uint32_t> only_partitions{};
  // A group member's partitions change hands, so a checkpoint another member moved is expected
  // during a hand-over: reload the stored checkpoints and go on instead of stopping for good. The
  // compare-and-set still guarantees that no batch is applied twice.
  bool reload_on_fence = false;
  // An event whose data the tables cannot hold (SQLSTATE class 22 or 23) is tried this many
  // times in all, then parked in orderline.dead_letters (the read models go on without it), or
  // with PoisonPolicy::stop the projector stops on it, as a RocksDB projection does: every event
  // before it folded, its checkpoint left on it, health().stopped with the reason, until
  // start() (PostgresProjections::resume) tries it again. An event that does not decode is
  // parked or stopped on at once.
  int poison_attempts = 3;
  PoisonPolicy on_poison = PoisonPolicy::park;
  // Told of every committed batch (a rebuild's batches too); must outlive the projector.
  PostgresProjectorObserver* observer = nullptr;
};

class PostgresProjector {
 public:
  struct Health {
    bool connected = false;  // the last statement or ping succeeded
    bool fenced = false;     // stopped for good: another projector moved a checkpoint
    bool stopped = false;    // stopped on a poison event (PoisonPolicy::stop); start() retries it
    std::string error;       // the last failure (or why it stopped), empty when healthy
  };
  struct CatchUpResult {
    bool ok = false;
    bool fenced = false;
    bool stopped = false;  // on a poison event (error says which)
    std::string error;
    std::uint64_t events = 0;  // events folded by this call
  };

  // Throws std::invalid_argument for options it cannot run with; does not connect.
  PostgresProjector(const eventstore::EventLog& log, PostgresProjectorOptions options);
  ~PostgresProjector();
  PostgresProjector(const PostgresProjector&) = delete;
  PostgresProjector& operator=(const PostgresProjector&) = delete;

  // Also after it stopped on a poison event (call stop() first): tries that event again.
  void start();
  void stop();

  // On the caller's thread (tests and tools; never while started): connects if needed and
  // folds everything in the log, one batch after another, without retrying a failure.
  CatchUpResult catch_up();
  // Connects (migrations, checkpoints) without folding anything.
  CatchUpResult connect_only();

  Health health() const;
  // The committed next offset of every partition as this projector last knew it.
  std::vector<std::uint64_t> checkpoints() const;
  std::uint64_t applied_events() const { return applied_events_.load(); }
  // The version it writes (0 until it has connected once).
  int version() const { return version_.load(); }

 private:
  enum class Step { applied, idle, fenced, stopped };
  enum class Commit { committed, reloaded, fenced };
  struct Decoded;  // a record with its envelope and payload
  struct Parked;   // a record to park as a dead letter, and why
  void run();
  void connect();
  Step step();
  // One transaction: the checkpoints' compare-and-set, the events' fold, the dead letters.
  // Throws what the server answers (a data error: see fold_one_at_a_time).
  Commit commit(const std::vector<const Decoded*>& events, const std::vector<CheckpointAdvance>& advances,
                const std::vector<Parked>& parked);
  // After a batch failed on its data: each record in a transaction of its own, a failing one
  // retried (poison_attempts), then parked so the rest goes on.
  void reconnect_after_data_error();
  Step fold_one_at_a_time(const std::vector<eventstore::LogRecord>& records, const std::vector<Decoded>& events,
                          const std::vector<Parked>& unreadable, const std::vector<CheckpointAdvance>& advances);
  void report_fence(const std::vector<CheckpointAdvance>& advances);
  // PoisonPolicy::stop: records why in health() and logs it; the checkpoint stays on the event.
  void report_stop(const eventstore::LogRecord& record, const std::string& event_type, const std::string& error);
  // Drops the connection and records the error for health(); returns it as one line.
  std::string record_failure(const std::exception& error);
  void record_success();
  // Sleeps up to `duration`; false when stop() interrupted it.
  bool sleep_for(std::chrono::milliseconds duration);

  const eventstore::EventLog& log_;
  PostgresProjectorOptions options_;
  ProjectionId id_;
  std::unique_ptr<pqxx::connection> connection_;
  std::string schema_;             // of id_.version; set by connect(), used by the worker
  std::atomic<int> version_{0};    // id_.version for other threads
  std::vector<std::uint64_t> checkpoints_;  // guarded by mutex_ for readers; written by the worker
  std::uint32_t first_partition_ = 0;       // rotates so no partition starves the others
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Health health_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> applied_events_{0};
  std::thread thread_;
};

}  // namespace orderline::projections::pg
