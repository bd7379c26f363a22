#pragma once
// The event log on Apache Kafka (DESIGN "Kafka specifics"), through librdkafka's C API.
//
// Topics (created through the admin API when missing, same partition count for both):
//   <prefix>.events    key = stream id, value = v1::EventEnvelope; infinite retention
//                      (retention.ms = retention.bytes = -1: the log is the source of truth),
//                      message.timestamp.type = LogAppendTime (offset_for_time uses log time)
//   <prefix>.outcomes  key = command id, value = v1::CommandOutcome; compacted, written on the
//                      same partition number as the command's events
//
// append() is one Kafka transaction (transactional, idempotent producer, acks=all): the
// events, then -- once their delivery reports gave real offsets -- the outcomes with those
// positions, then the commit. Readers use read_committed, so an aborted or unfinished
// transaction is never visible.
//
// Offsets and transaction markers. Each commit (or abort) writes a control record, the
// marker, into every partition of the transaction, and it takes an offset that read() never
// returns. An append of 3 records to an empty partition:
//
//     offset:  0   1   2   3
//              e0  e1  e2  [commit marker]
//
// gives first_offset = 0 and end_offset = 3 (one past the last record: the position a reader
// must reach to have seen the batch), while the partition's next free offset is 4. The next
// append starts at 4, so offsets within a partition are not contiguous, and end_offset()
// (the last stable offset: see there) can lie one past a reader that has read every record.
// Positions are still exact: a reader is caught up with a write once its next offset is at
// or past the write's end_offset.
//
// read_stream() and find_outcome() are served from a local RocksDB index in state_dir
// (rebuildable, never the source of truth): written after every committed append, and on
// open caught up from the topics up to their last stable offsets (the "restore" of DESIGN
// rule 3), resuming from the offsets the index had reached, so a fresh state_dir restores
// everything and a reused one reads only what it missed.
//
// Limits of this version (see docs/architecture.md, "Kafka mode"):
//  - one producer, so one transaction at a time; appends of different partitions that
//    arrive meanwhile share the next transaction (group commit);
//  - one consumer for read() below the tail kept in memory (sole_writer, follow_tail),
//    assigned to one partition at a time: a reader that alternates partitions there pays a
//    re-fetch per switch;
//  - the index assumes DESIGN rule 2 (this log is the only writer of its partitions while it
//    runs); records written by another producer meanwhile are indexed at the next open.
#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eventstore/append_observer.h"
#include "eventstore/event_log.h"
#include "eventstore/kafka/last_client_error.h"

namespace rocksdb {
class DB;
}
struct rd_kafka_s;  // librdkafka's rd_kafka_t
struct rd_kafka_topic_partition_list_s;
struct rd_kafka_consumer_group_metadata_s;

namespace orderline::eventstore {

struct KafkaLogOptions {
  // Bootstrap servers, "host:port[,host:port...]" (librdkafka's bootstrap.servers).
  std::string brokers;
  // Topic names are <topic_prefix>.events and <topic_prefix>.outcomes.
  std::string topic_prefix = "orderline";
  // Partition count of both topics: used to create them, and checked against existing ones
  // (a mismatch refuses to start, DESIGN rule 1).
  std::uint32_t partitions = 8;
  // Replication factor of topics this log creates; -1 takes the broker's
  // default.replication.factor (use 3 on a production cluster).
  int replication_factor = -1;
  // The producer's transactional.id. It must be stable per writer: a new instance with the
  // same id fences the old one (its unfinished transaction is aborted, its later commits
  // fail). Empty: "<topic_prefix>.event-log".
  std::string transactional_id;
  // Passed through to every client (producer, consumers, admin) as librdkafka properties,
  // after Orderline's own settings, e.g. security.protocol, ssl.ca.location,
  // sasl.mechanisms, sasl.username, sasl.password. Settings the log depends on
  // (isolation.level, enable.idempotence, transactional.id, acks) must not be overridden.
  std::map<std::string, std::string> client_config;
  // Directory of the local RocksDB index (stream index and outcomes). Required. Deleting it
  // is always safe: the next open rebuilds it from the topics.
  std::string state_dir;
  // Bound on each start-up step: reaching the cluster (an unreachable broker throws after
  // this), creating topics, initialising the transactional producer.
  std::chrono::milliseconds connect_timeout{10'000};
  // transaction.timeout.ms: how long the broker keeps an unfinished transaction of a dead
  // writer open (and readers' last stable offset held back) before aborting it.
  std::chrono::milliseconds transaction_timeout{10'000};
  // Bound on one call: an append (deliveries and commit), a read, an offsets query.
  std::chrono::milliseconds request_timeout{10'000};
  // A restore fails when the topics deliver nothing for this long.
  std::chrono::milliseconds restore_stall_timeout{30'000};
  // Period at which wait_beyond()/wait_any() re-query the end offsets (see there).
  std::chrono::milliseconds wait_poll_interval{20};
  // Largest record (key + value + overhead) the producer sends (message.max.bytes); a bigger
  // one fails its append with LogError::too_large. Keep it <= the topics' max.message.bytes
  // (broker default 1048588).
  std::size_t max_message_bytes = 1'000'000;
  // A log that only reads (a gateway, a projector): appends fail with LogError::closed, its
  // producer is not transactional (so it fences no writer), and since other processes write
  // the topics, the index catches up from them before every look-up.
  bool read_only = false;
  // librdkafka statistics (kafka_statistics.h) of the clients that are polled all the time:
  // this log's transactional producer (not a read-only log's), the command bus's producer and
  // reply reader, the processor's consumer. Zero: off.
  std::chrono::milliseconds statistics_interval{0};
  // This log is the only writer of its partitions (`orderd serve` on Kafka: DESIGN rule 2,
  // enforced by its transactional.id). It then keeps the newest committed records in memory
  // (committed_tail.h), so end_offset(), read() and the waits of its own readers need no
  // broker request while they keep up. Never for a processor of a group: other processes
  // write the partitions it does not own.
  bool sole_writer = false;
  // A log that other processes write (not a sole writer): keep one read_committed consumer
  // assigned to every events partition and its newest records in memory (tail_follower.h),
  // so end_offset(), read() near the end and the waits need no broker request per step and
  // a commit reaches the readers when a fetch returns. For the long-running readers of the
  // distributed deployment (gateway, projector, saga, processor); costs a consumer and a
  // thread, so short-lived tools leave it off.
  bool follow_tail = false;
  // Memory for those records (a sole writer's or the follower's), all partitions together.
  std::size_t tail_budget_bytes = 64u << 20;
  // Told of every append()/append_with(): the time its caller waited for its transaction
  // (queueing for the group commit included) and whether it committed. append_parts()
  // callers (the processor) report their own. Must outlive the log.
  AppendObserver* append_observer = nullptr;
  // Appends of different partitions that arrive while a transaction runs share the next one
  // (group commit, group_commit.h), up to this many batches per transaction.
  std::size_t max_transaction_parts = 64;
};

// Transactions of one log's producer, counted where it commits and aborts (metrics).
struct TransactionCounts {
  std::uint64_t committed = 0;
  std::uint64_t aborted = 0;
  std::uint64_t unknown = 0;  // the commit's outcome was not known (the index then catches up)
};

// A record that commits in the same transaction as an append (append_with): a command's
// reply on the gateway's partition of the replies topic.
struct ExtraRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::string key;
  std::string value;
};

class CommittedTail;
class TailFollower;
template <class Job>
class GroupCommit;

class KafkaEventLog final : public EventLog {
 public:
  // Connects, creates or checks the topics, initialises the transactional producer and
  // restores the index. Throws std::runtime_error naming the brokers when the cluster does
  // not answer within connect_timeout, and naming the topics when their partition counts
  // differ from options.partitions or from each other.
  explicit KafkaEventLog(KafkaLogOptions options);
  ~KafkaEventLog() override;
  KafkaEventLog(const KafkaEventLog&) = delete;
  KafkaEventLog& operator=(const KafkaEventLog&) = delete;

  std::uint32_t partition_count() const override { return partitions_; }

  // One transaction: durable on the brokers (acks=all) when it returns. On any error the
  // transaction is aborted, nothing of the batch becomes visible, and the result names the
  // cause (too_large for an oversized record, unavailable when the cluster did not answer).
  LogResult<AppendResult> append(std::uint32_t partition, const AppendBatch& batch) override;

  // What a command processor adds to an append's transaction (librdkafka's
  // examples/transactions.c loop): records produced once the events' delivery reports gave
  // real positions (`records` is called with them), then the consumed offsets of the commands
  // topic (send_offsets_to_transaction with the consumer's group metadata, which fences a
  // processor whose group generation is stale). All of it commits, or none of it.
  struct TransactionExtras {
    std::function<std::vector<ExtraRecord>(const AppendResult&)> records;
    const rd_kafka_topic_partition_list_s* offsets = nullptr;
    const rd_kafka_consumer_group_metadata_s* group = nullptr;
  };
  // append() plus extras; the batch may be empty (a transaction of replies and offsets only).
  LogResult<AppendResult> append_with(std::uint32_t partition, const AppendBatch& batch,
                                      const TransactionExtras& extras);

  // One partition's share of a transaction; `result` is set by the append.
  struct TransactionPart {
    std::uint32_t partition = 0;
    const AppendBatch* batch = nullptr;
    const TransactionExtras* extras = nullptr;
    LogResult<AppendResult> result = LogResult<AppendResult>::fail(LogError::io_error, "not appended");
  };
  // Several partitions' batches (with their extras) in ONE transaction: all commit or none.
  // Each part gets the transaction's failure, except that a record too large for the
  // broker sends every part through a transaction of its own, so only its batch is refused.
  // The extras' offsets must all come from one consumer (one group).
  void append_parts(std::vector<TransactionPart>& parts);

  // Catches the local index up with every partition of both topics to their last stable
  // offsets (a new owner of a partition calls it after committed() said the partition's
  // transactions are settled, DESIGN rule 3).
  LogResult<bool> restore();

  // Fetches a topic's metadata for the producer, so its first record there is not delayed by
  // a metadata refresh.
  void prepare_topic(const std::string& topic);

  // Committed records only, skipping aborted ones and markers; waits at most
  // request_timeout for records that the last stable offset says exist.
  LogResult<std::vector<LogRecord>> read(std::uint32_t partition, std::uint64_t from,
                                         std::size_t max_records) const override;

  // The last stable offset (LSO): the first offset that is not yet decided -- the start of
  // the oldest unfinished transaction, or the high watermark when none is open. Every record
  // below it is committed or aborted for good, so a read_committed reader that reaches it has
  // seen everything committed so far. Because markers take offsets, the LSO after a commit is
  // one past that commit's AppendResult.end_offset; and right after commit returns it may
  // still be below the committed records until the broker has written the markers (a few
  // milliseconds). Returns 0 when the cluster does not answer (logged).
  std::uint64_t end_offset(std::uint32_t partition) const override;

  // Kafka's offsets-for-times (ListOffsets by timestamp) on the events topic. Log times are
  // the broker's LogAppendTime in milliseconds, so time_us is rounded up to a millisecond.
  LogResult<std::uint64_t> offset_for_time(std::uint32_t partition,
                                           std::int64_t time_us) const override;

  // With a tail in memory (sole_writer, follow_tail) these wait on it. Without one they
  // re-query the last stable offsets every wait_poll_interval: Kafka has no notification of
  // a partition's end moving short of fetching from it. One ListOffsets request answers for
  // every partition, so wait_any() costs one small request per interval.
  std::uint64_t wait_beyond(std::uint32_t partition, std::uint64_t offset,
                            std::chrono::milliseconds timeout) const override;
  std::vector<std::uint64_t> wait_any(const std::vector<std::uint64_t>& ends,
                                      std::chrono::milliseconds timeout) const override;

  // From the local index (see above).
  LogResult<std::vector<LogRecord>> read_stream(std::string_view stream_id) const override;
  LogResult<std::optional<v1::CommandOutcome>> find_outcome(
      std::string_view command_id) const override;

  // Whether a broker answers a metadata request within `timeout` (readiness probes): empty
  // when one did, else why not. Thread-safe.
  std::string probe(std::chrono::milliseconds timeout) const;

  TransactionCounts transaction_counts() const {
    return {committed_.load(), aborted_.load(), unknown_.load()};
  }

  const std::string& events_topic() const { return events_topic_; }
  const std::string& outcomes_topic() const { return outcomes_topic_; }

 // What one append's delivery reports said (internal; public for librdkafka's callback).
  struct Delivery;
  // The producer's opaque (internal; public for librdkafka's callbacks): where the current
  // append's delivery reports go, and the last trouble its log lines reported, which a failed
  // start names (a TLS handshake or a login that failed says why, not only "transport failure").
  struct ProducerContext {
    Delivery* delivery = nullptr;  // guarded by append_mutex_
    LastClientError last_error;
  };

 private:
  struct Clients;  // librdkafka handles
  struct ReadState;

  ::rd_kafka_s* new_producer();
  // A read_committed consumer for assign(); a follower's long-polls at the end instead of
  // backing off there.
  ::rd_kafka_s* new_reader(const std::string& client_id, bool follower) const;
  // The records kept in memory: a sole writer's own commits or the follower's; null if none.
  const CommittedTail* memory_tail() const;
  std::string init_transactions();  // empty on success, else why not
  bool replace_producer();
  void learn_topics(::rd_kafka_s* client) const;
  // "topic X does not exist ...; " for each of ours the cluster does not know, else "".
  std::string missing_topics() const;
  void ensure_topics();
  void open_index();
  // Reads every partition of both topics from the index's checkpoints up to their last
  // stable offsets and indexes what it finds. Caller holds read_mutex_.
  LogResult<bool> catch_up_locked(bool at_open) const;
  LogResult<bool> refresh_index_if_stale() const;
  // Last stable offsets of every partition of a topic (one request), or of one partition.
  // Each bounded by `timeout` (request_timeout when zero), so waits keep their own bound.
  LogResult<std::vector<std::uint64_t>> stable_offsets(const std::string& topic,
                                                       std::chrono::milliseconds timeout = {}) const;
  LogResult<std::uint64_t> query_end(std::uint32_t partition, std::chrono::milliseconds timeout = {}) const;
  // ListOffsets for (partition, timestamp) pairs of a topic, retrying transient errors.
  LogResult<std::vector<std::int64_t>> list_offsets(const std::string& topic,
                                                    const std::vector<std::pair<std::uint32_t, std::int64_t>>& queries,
                                                    std::chrono::milliseconds timeout = {}) const;
  // The write path: append()/append_with() queue for a group commit; transact() runs one
  // group (caller holds append_mutex_), run_transaction() one Kafka transaction of it.
  void append_parts_grouped(TransactionPart& part);
  void transact(std::vector<TransactionPart*>& parts);
  std::optional<LogResult<AppendResult>> refuse(const TransactionPart& part) const;
  std::optional<LogResult<AppendResult>> run_transaction(std::vector<TransactionPart*>& parts);
  LogResult<bool> index_parts(const std::vector<TransactionPart*>& parts, const std::vector<std::size_t>& event_base,
                              const std::vector<std::size_t>& outcome_base, const Delivery& delivery,
                              const std::vector<std::vector<v1::CommandOutcome>>& outcomes);
  // The end of a partition as far as this process knows without asking the brokers.
  std::uint64_t local_end(std::uint32_t partition) const;
  // A transaction of ours in doubt: the tail is not exact until revalidate_tail() (after
  // the producer was replaced) reads the settled ends from the brokers.
  void mark_tail_in_doubt();
  void revalidate_tail();

  KafkaLogOptions options_;
  std::uint32_t partitions_;
  std::string events_topic_;
  std::string outcomes_topic_;
  std::unique_ptr<Clients> clients_;
  std::unique_ptr<rocksdb::DB> index_;

  // Serves the producer's queued statistics while no append does (an idle producer is not
  // polled otherwise); from the wait loops, which idle readers of the log run all the time.
  void serve_statistics() const;

  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> aborted_{0};
  std::atomic<std::uint64_t> unknown_{0};
  // One transaction at a time; guards the fields below it. Mutable for serve_statistics().
  mutable std::mutex append_mutex_;
  ProducerContext producer_context_;
  std::uint32_t generation_ = 0;           // of the current append (see Delivery)
  bool producer_in_doubt_ = false;  // replace the producer before the next transaction
  // After a fatal producer error (fenced by a newer instance with the same
  // transactional.id), appends fail with LogError::closed and this detail.
  std::string fatal_;

  mutable std::mutex read_mutex_;  // the reading consumer, catch-up, index checkpoints
  std::unique_ptr<ReadState> read_state_;
  // Set when the index may lag the topics (an append whose commit outcome is unknown, a
  // batch not contiguous with the index, a failed catch-up): the next index look-up first
  // catches up from the topics.
  mutable std::atomic<bool> index_stale_{false};
  // Last end offset seen per events partition: end_offset()'s answer when the cluster does
  // not answer, and the position of an append without events.
  mutable std::unique_ptr<std::atomic<std::uint64_t>[]> known_ends_;
  std::unique_ptr<GroupCommit<TransactionPart>> group_commit_;
  // Only for a sole writer (KafkaLogOptions::sole_writer); guarded by itself.
  std::unique_ptr<CommittedTail> tail_;
  bool tail_invalid_ = false;  // under append_mutex_
  // Only with KafkaLogOptions::follow_tail, for a log that is not a sole writer.
  std::unique_ptr<TailFollower> follower_;
  // Per partition, under append_mutex_: an aborted transaction of ours wrote records there
  // since its last commit, so its next offset is not the tail's end (run_transaction's
  // prediction waits for the next commit).
  std::vector<bool> aborted_since_commit_;
};

}  // namespace orderline::eventstore
