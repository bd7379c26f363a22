#pragma once
// `orderd processor`: one member of the consumer group on <prefix>.commands (DESIGN rules
// 2-5). The group's assignment (cooperative-sticky) decides which processor owns which
// partitions; for each poll round the loop follows librdkafka's examples/transactions.c:
//
//   consume commands -> decide each partition's batch (PartitionProcessor) -> in ONE
//   transaction for all of them: the events, the outcomes (compacted, for dedupe), the
//   replies on each command's reply_partition, and send_offsets_to_transaction(consumed
//   offsets, group metadata) -> commit
//
// so a command's events, its outcome, its reply and "this command was consumed" are
// visible together or not at all. Failure handling:
//  - abort (any append error): the touched streams never reach the cache (it holds
//    committed state only), and the partition is sought back to the batch's first offset,
//    which is the committed one (every batch commits its offsets);
//  - fenced (a newer instance with the same transactional.id, or a group generation that
//    moved on): run() returns with fatal() set; the process exits rather than write again;
//  - assignment: the new partitions are paused; a restore thread (off the poll thread) reads
//    committed() -- which waits until a previous owner's open transaction is settled -- then
//    catches the local index up with every partition to its last stable offset; then the
//    partitions resume from their committed offsets;
//  - revoke: no transaction is ever open between polls (each batch commits before the next
//    poll), so the revoked partitions' unprocessed commands are dropped and their next owner
//    reads them from the committed offsets; lost: the same, without the commit.
// Commands past their deadline are dropped (no outcome, no reply): the gateway has answered
// 504 outcome_unknown, and a retry with the same id is decided afresh.
//
// The transactional.id is the log's (KafkaLogOptions::transactional_id), stable per
// processor instance: a restarted instance fences its own zombie.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "commands/command_processor.h"
#include "commands/kafka/transaction_report.h"
#include "eventstore/kafka/kafka_event_log.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace orderline::commands {

struct KafkaProcessorOptions {
  // brokers, topic_prefix, partitions and client_config of the deployment.
  eventstore::KafkaLogOptions kafka;
  std::size_t max_batch = 512;                      // commands per transaction
  std::chrono::milliseconds session_timeout{8000};  // session.timeout.ms: a dead member is noticed after this
  ProcessorOptions processor;
  ProcessorObservers observers;  // metrics of each transaction (transaction_report.h); none: not observed
};

// Counters for logs and tests.
struct KafkaProcessorStats {
  std::uint64_t transactions = 0;  // committed
  std::uint64_t aborted = 0;
  std::uint64_t commands = 0;      // consumed and committed
  std::uint64_t dropped_past_deadline = 0;
  std::set<std::uint32_t> owned;   // partitions assigned and restored
  std::set<std::uint32_t> restoring;  // assigned, not serving yet (restore under way; /readyz)
};

class KafkaProcessor {
 public:
  // `log` must be the processor's own KafkaEventLog (not read-only), whose producer is this
  // instance's transactional producer. Joins the group on run().
  KafkaProcessor(eventstore::KafkaEventLog& log, Lookups lookups, KafkaProcessorOptions options);
  ~KafkaProcessor();
  KafkaProcessor(const KafkaProcessor&) = delete;
  KafkaProcessor& operator=(const KafkaProcessor&) = delete;

  // The poll loop, on the caller's thread, until stop() or a fatal error (then fatal() says why).
  void run();
  void stop() { running_.store(false); }
  std::string fatal() const;
  KafkaProcessorStats stats() const;

  // A product's committed state when this instance owns its partition and has it cached:
  // fresher than any read model, so a discontinue this instance committed is refused at once
  // (README "Known problems"). Only from the processor's own thread, i.e. from its Lookups.
  std::optional<domain::ProductSnapshot> cached_product(std::string_view sku) const;

  // librdkafka's rebalance callback (public for the C trampoline).
  void on_rebalance(int err, rd_kafka_topic_partition_list_s* partitions);

 private:
  struct Owned;     // a partition this instance owns: its PartitionProcessor, readiness
  struct Consumed;  // one consumed command
  void restore_loop();
  void resume_restored();
  struct Pending;   // one partition's batch within a round's transaction
  void process_round(std::map<std::uint32_t, std::vector<Consumed>>& batches);
  std::unique_ptr<Pending> prepare(std::uint32_t partition, std::vector<Consumed>& batch, bool& retried);
  void retry(std::uint32_t partition, Owned& owned, const std::vector<Consumed>& batch, const std::string& why);
  void seek(std::uint32_t partition, std::int64_t offset);
  void set_fatal(std::string why);

  eventstore::KafkaEventLog& log_;
  Lookups lookups_;
  KafkaProcessorOptions options_;
  std::string commands_topic_;
  std::string replies_topic_;
  int reply_partitions_ = 0;
  ::rd_kafka_s* consumer_ = nullptr;
  std::atomic<bool> running_{true};

  // Poll-thread state.
  std::map<std::uint32_t, std::unique_ptr<Owned>> owned_;
  std::uint64_t assignment_epoch_ = 0;

  // Between the poll thread and the restore thread.
  mutable std::mutex mutex_;
  std::condition_variable restore_wanted_;
  std::map<std::uint32_t, std::uint64_t> to_restore_;  // partition -> epoch of its assignment
  std::map<std::uint32_t, std::pair<std::uint64_t, std::int64_t>> restored_;  // -> (epoch, committed offset)
  std::string fatal_;
  KafkaProcessorStats stats_;
  std::thread restorer_;
};

}  // namespace orderline::commands
