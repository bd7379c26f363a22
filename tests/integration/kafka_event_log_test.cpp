// KafkaEventLog against a real broker (ORDERLINE_KAFKA): offsets are the broker's,
// transactions hide aborted writes, the local index is rebuilt from the topics, and
// every failure is an error with a cause, never a silent drop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "eventstore/kafka/kafka_event_log.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

namespace orderline::eventstore {
namespace {

using testing::ForeignProducer;

NewRecord event(const std::string& stream_id, std::uint64_t version, std::string body = {}) {
  v1::EventEnvelope envelope;
  envelope.set_event_id(stream_id + "-" + std::to_string(version));
  envelope.set_stream_id(stream_id);
  envelope.set_stream_version(version);
  envelope.set_type("TestEvent");
  envelope.set_payload(std::move(body));
  return {stream_id, envelope.SerializeAsString(), version};
}

v1::CommandOutcome outcome_of(const std::string& command_id, const std::string& stream_id, std::uint32_t partition,
                              std::uint64_t offset) {
  v1::CommandOutcome outcome;
  outcome.set_command_id(command_id);
  outcome.set_stream_id(stream_id);
  outcome.set_accepted(true);
  outcome.set_partition(partition);
  outcome.set_offset(offset);
  return outcome;
}

std::string stream_of(const LogRecord& record) {
  v1::EventEnvelope envelope;
  EXPECT_TRUE(envelope.ParseFromString(record.value));
  return envelope.stream_id() + "#" + std::to_string(envelope.stream_version());
}

class KafkaEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = testing::unique_topic_prefix(info->name());
  }

  KafkaLogOptions options(std::uint32_t partitions = 4, std::string state_dir = {}) {
    KafkaLogOptions o;
    o.brokers = testing::kafka_brokers();
    o.topic_prefix = prefix_;
    o.partitions = partitions;
    o.state_dir = state_dir.empty() ? state_.path() + "/index" : state_dir;
    return o;
  }

  // Everything of a partition from `from` up to `until` (a position), page by page.
  static std::vector<LogRecord> read_until(const EventLog& log, std::uint32_t partition, std::uint64_t from,
                                           std::uint64_t until, std::size_t page = 100) {
    std::vector<LogRecord> all;
    std::uint64_t next = from;
    while (next < until) {
      auto records = log.read(partition, next, page);
      EXPECT_TRUE(records) << records.detail;
      if (!records || records.value->empty()) {
        // The broker writes commit markers just after commit returns: wait for the end to
        // pass the position (bounded), then read again.
        if (log.wait_beyond(partition, until, std::chrono::seconds(10)) <= until) break;
        continue;
      }
      for (auto& record : *records.value) all.push_back(std::move(record));
      next = all.back().offset + 1;
    }
    return all;
  }

  std::string prefix_;
  testing::TempDir state_;
};

TEST_F(KafkaEventLogTest, AppendsAndReadsBackOnSeveralPartitions) {
  KafkaEventLog log(options(4));
  EXPECT_EQ(log.partition_count(), 4u);
  const std::vector<std::pair<std::uint32_t, int>> plan = {{0, 3}, {1, 2}, {3, 5}};
  std::map<std::uint32_t, AppendResult> results;
  for (const auto& [partition, count] : plan) {
    AppendBatch batch;
    for (int i = 1; i <= count; ++i) batch.records.push_back(event("s-" + std::to_string(partition), i, "body"));
    auto appended = log.append(partition, batch);
    ASSERT_TRUE(appended) << appended.detail;
    EXPECT_EQ(appended.value->first_offset, 0u) << "a new partition starts at offset 0";
    EXPECT_EQ(appended.value->end_offset, static_cast<std::uint64_t>(count));
    results[partition] = *appended.value;
  }
  for (const auto& [partition, count] : plan) {
    auto records = read_until(log, partition, 0, results[partition].end_offset);
    ASSERT_EQ(records.size(), static_cast<std::size_t>(count)) << "partition " << partition;
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(records[i].partition, partition);
      EXPECT_EQ(records[i].offset, static_cast<std::uint64_t>(i));
      EXPECT_EQ(records[i].key, "s-" + std::to_string(partition));
      EXPECT_EQ(stream_of(records[i]), "s-" + std::to_string(partition) + "#" + std::to_string(i + 1));
      EXPECT_GT(records[i].log_time_us, 0);
    }
    // The stream index answers the same records, with the same offsets and log times.
    auto stream = log.read_stream("s-" + std::to_string(partition));
    ASSERT_TRUE(stream) << stream.detail;
    ASSERT_EQ(stream.value->size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ((*stream.value)[i].offset, records[i].offset);
      EXPECT_EQ((*stream.value)[i].value, records[i].value);
      EXPECT_EQ((*stream.value)[i].log_time_us, records[i].log_time_us) << "index time is the broker's log time";
    }
  }
  // wait_any answers as soon as any partition's end differs from what the caller knows.
  auto ends = log.wait_any(std::vector<std::uint64_t>(4, 0), std::chrono::seconds(10));
  ASSERT_EQ(ends.size(), 4u);
  EXPECT_NE(ends, std::vector<std::uint64_t>(4, 0));
  // An untouched partition is empty; a partition outside the count is refused.
  EXPECT_EQ(ends[2], 0u);
  EXPECT_EQ(log.end_offset(2), 0u);
  EXPECT_EQ(log.read(9, 0, 10).error, LogError::bad_partition);
}

TEST_F(KafkaEventLogTest, OffsetsAreTheBrokersAndPositionsCoverTheCommitMarkers) {
  KafkaEventLog log(options(2));
  AppendBatch first, second;
  for (int i = 1; i <= 3; ++i) first.records.push_back(event("s", i));
  for (int i = 4; i <= 5; ++i) second.records.push_back(event("s", i));
  auto a = log.append(1, first);
  ASSERT_TRUE(a) << a.detail;
  auto b = log.append(1, second);
  ASSERT_TRUE(b) << b.detail;
  // offsets 0 1 2 [marker 3] 4 5 [marker 6]: the end of a batch is one past its last record,
  // and the next batch starts after the marker.
  EXPECT_EQ(a.value->first_offset, 0u);
  EXPECT_EQ(a.value->end_offset, 3u);
  EXPECT_EQ(b.value->first_offset, a.value->end_offset + 1) << "the commit marker takes one offset";
  EXPECT_EQ(b.value->end_offset, 6u);
  // The last stable offset passes the second marker once the broker has written it.
  EXPECT_EQ(log.wait_beyond(1, b.value->end_offset, std::chrono::seconds(10)), 7u);

  // A reader that has read up to a batch's end has seen every record of it, in pages too.
  auto all = read_until(log, 1, 0, b.value->end_offset, /*page=*/2);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2].offset, 2u);
  EXPECT_EQ(all[3].offset, 4u);
  EXPECT_EQ(all.back().offset + 1, b.value->end_offset);
  // Reading from a marker's offset skips it.
  auto from_marker = log.read(1, a.value->end_offset, 10);
  ASSERT_TRUE(from_marker) << from_marker.detail;
  ASSERT_EQ(from_marker.value->size(), 2u);
  EXPECT_EQ(from_marker.value->front().offset, 4u);
  // Past the end: nothing, without waiting for records that do not exist.
  auto past = log.read(1, 7, 10);
  ASSERT_TRUE(past) << past.detail;
  EXPECT_TRUE(past.value->empty());
}

TEST_F(KafkaEventLogTest, OutcomesAndStreamIndexAreRestoredFromTheTopics) {
  std::uint64_t offset_of_o2 = 0;
  {
    KafkaEventLog log(options(4));
    for (int i = 0; i < 6; ++i) {
      const std::string stream = "order-" + std::to_string(i);
      const std::uint32_t partition = static_cast<std::uint32_t>(i % 4);
      AppendBatch batch;
      batch.records = {event(stream, 1), event(stream, 2)};
      batch.outcomes = {outcome_of("cmd-" + std::to_string(i), stream, partition, 0)};
      auto appended = log.append(partition, batch);
      ASSERT_TRUE(appended) << appended.detail;
      if (i == 2) offset_of_o2 = appended.value->first_offset;
    }
    // A batch with only a rejection writes an outcome and no events.
    AppendBatch rejection;
    rejection.outcomes = {outcome_of("cmd-rejected", "order-x", 1, 0)};
    rejection.outcomes[0].set_accepted(false);
    ASSERT_TRUE(log.append(1, rejection));
  }
  auto check = [&](KafkaEventLog& log) {
    for (int i = 0; i < 6; ++i) {
      auto outcome = log.find_outcome("cmd-" + std::to_string(i));
      ASSERT_TRUE(outcome) << outcome.detail;
      ASSERT_TRUE(outcome.value->has_value()) << "cmd-" << i;
      EXPECT_EQ((*outcome.value)->stream_id(), "order-" + std::to_string(i));
      auto stream = log.read_stream("order-" + std::to_string(i));
      ASSERT_TRUE(stream) << stream.detail;
      ASSERT_EQ(stream.value->size(), 2u);
      EXPECT_EQ(stream_of((*stream.value)[1]), "order-" + std::to_string(i) + "#2");
      EXPECT_EQ((*stream.value)[0].partition, static_cast<std::uint32_t>(i % 4));
    }
    EXPECT_EQ(log.read_stream("order-2").value->front().offset, offset_of_o2);
    auto rejected = log.find_outcome("cmd-rejected");
    ASSERT_TRUE(rejected && rejected.value->has_value());
    EXPECT_FALSE((*rejected.value)->accepted());
    EXPECT_FALSE(log.find_outcome("cmd-unknown").value->has_value());
  };
  {
    // A fresh state directory: everything comes from the topics.
    testing::TempDir fresh;
    KafkaEventLog restored(options(4, fresh.path() + "/index"));
    check(restored);
    // It appends on from where the topics are, and the index keeps up.
    AppendBatch more;
    more.records = {event("order-new", 1)};
    more.outcomes = {outcome_of("cmd-more", "order-new", 1, 0)};
    ASSERT_TRUE(restored.append(1, more));
    EXPECT_EQ(restored.read_stream("order-new").value->size(), 1u);
  }
  // The original state directory resumes from its checkpoints and picks up what the other
  // instance wrote meanwhile.
  KafkaEventLog reopened(options(4));
  check(reopened);
  EXPECT_EQ(reopened.read_stream("order-new").value->size(), 1u);
  EXPECT_TRUE(reopened.find_outcome("cmd-more").value->has_value());
}

TEST_F(KafkaEventLogTest, AbortedAndOpenTransactionsAreNeverVisible) {
  KafkaEventLog log(options(2));
  ASSERT_TRUE(log.append(0, AppendBatch{{event("mine", 1)}, {}, {}, {}}));
  ForeignProducer foreign(prefix_ + ".foreign");

  // Aborted: three events and an outcome, on the broker and then thrown away.
  foreign.begin();
  for (int i = 1; i <= 3; ++i) foreign.produce(log.events_topic(), 0, "ghost", event("ghost", i).value);
  v1::CommandOutcome ghost_outcome = outcome_of("cmd-ghost", "ghost", 0, 0);
  foreign.produce(log.outcomes_topic(), 0, "cmd-ghost", ghost_outcome.SerializeAsString());
  foreign.abort();

  // Open: written to the broker but not committed; the last stable offset stays before it.
  foreign.begin();
  foreign.produce(log.events_topic(), 0, "pending", event("pending", 1).value);
  const std::uint64_t end_with_open = log.end_offset(0);
  auto appended = log.append(0, AppendBatch{{event("mine", 2)}, {}, {}, {}});
  ASSERT_TRUE(appended) << appended.detail;
  EXPECT_GT(appended.value->first_offset, end_with_open) << "our record lands after the open transaction's";
  // Our committed record sits behind the open transaction: not readable yet.
  EXPECT_LE(log.end_offset(0), appended.value->first_offset);
  foreign.abort();

  auto records = read_until(log, 0, 0, appended.value->end_offset);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(stream_of(records[0]), "mine#1");
  EXPECT_EQ(stream_of(records[1]), "mine#2");
  EXPECT_EQ(records[1].offset, appended.value->first_offset);

  // A restore from the topics indexes none of the aborted writes.
  testing::TempDir fresh;
  KafkaEventLog restored(options(2, fresh.path() + "/index"));
  EXPECT_TRUE(restored.read_stream("ghost").value->empty());
  EXPECT_TRUE(restored.read_stream("pending").value->empty());
  EXPECT_FALSE(restored.find_outcome("cmd-ghost").value->has_value());
  EXPECT_EQ(restored.read_stream("mine").value->size(), 2u);
}

// A log that others write, following the tail (KafkaLogOptions::follow_tail): records from
// before it opened come from the brokers, later ones from its follower, with the same
// offsets; aborted records and markers are skipped, and its end reaches the brokers' last
// stable offset.
TEST_F(KafkaEventLogTest, AFollowingReaderSeesAnotherWritersCommitsInOrder) {
  KafkaEventLog writer(options(2));
  ASSERT_TRUE(writer.append(0, AppendBatch{{event("early", 1), event("early", 2)}, {}, {}, {}}));
  testing::TempDir reader_state;
  auto reader_options = options(2, reader_state.path() + "/index");
  reader_options.read_only = true;
  reader_options.follow_tail = true;
  KafkaEventLog reader(reader_options);
  const auto opened_at = reader.end_offset(0);
  EXPECT_GE(opened_at, 2u);

  // A waiter on every partition is woken by the writer's next commit.
  const std::vector<std::uint64_t> before = {reader.end_offset(0), reader.end_offset(1)};
  std::vector<std::uint64_t> woken;
  std::thread waiter([&] { woken = reader.wait_any(before, std::chrono::seconds(20)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(writer.append(1, AppendBatch{{event("other", 1)}, {}, {}, {}}));
  waiter.join();
  ASSERT_EQ(woken.size(), 2u);
  EXPECT_GT(woken[1], before[1]) << "woken by the commit on partition 1";

  auto late = writer.append(0, AppendBatch{{event("late", 1), event("late", 2), event("late", 3)}, {}, {}, {}});
  ASSERT_TRUE(late) << late.detail;
  ForeignProducer foreign(prefix_ + ".foreign");
  foreign.begin();
  foreign.produce(writer.events_topic(), 0, "ghost", event("ghost", 1).value);
  foreign.abort();
  auto last = writer.append(0, AppendBatch{{event("late", 4)}, {}, {}, {}});
  ASSERT_TRUE(last) << last.detail;

  EXPECT_GE(reader.wait_beyond(0, last.value->end_offset - 1, std::chrono::seconds(20)), last.value->end_offset);
  auto records = read_until(reader, 0, 0, last.value->end_offset);
  std::vector<std::string> streams;
  for (const auto& record : records) streams.push_back(stream_of(record));
  EXPECT_EQ(streams, (std::vector<std::string>{"early#1", "early#2", "late#1", "late#2", "late#3", "late#4"}));
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[2].offset, late.value->first_offset);
  EXPECT_EQ(records[5].offset, last.value->first_offset);
  // Past the last commit's marker, as the brokers say (the end-of-partition event).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (reader.end_offset(0) < writer.end_offset(0) && std::chrono::steady_clock::now() < deadline) {
    reader.wait_beyond(0, reader.end_offset(0), std::chrono::milliseconds(200));
  }
  EXPECT_EQ(reader.end_offset(0), writer.end_offset(0));
  EXPECT_EQ(reader.end_offset(0), last.value->end_offset + 1);
}

TEST_F(KafkaEventLogTest, OffsetForTimeUsesTheBrokersLogTime) {
  KafkaEventLog log(options(1));
  // Append until the broker's clock has moved on by at least one millisecond, so there are
  // two distinct log times (bounded: a millisecond passes within a few appends).
  std::vector<LogRecord> records;
  for (int version = 1; version <= 200; ++version) {
    auto appended = log.append(0, AppendBatch{{event("s", static_cast<std::uint64_t>(version))}, {}, {}, {}});
    ASSERT_TRUE(appended) << appended.detail;
    records = read_until(log, 0, 0, appended.value->end_offset);
    ASSERT_EQ(records.size(), static_cast<std::size_t>(version));
    if (records.back().log_time_us > records.front().log_time_us) break;
  }
  ASSERT_GT(records.back().log_time_us, records.front().log_time_us);
  const auto later = std::find_if(records.begin(), records.end(),
                                  [&](const LogRecord& r) { return r.log_time_us > records.front().log_time_us; });

  EXPECT_EQ(*log.offset_for_time(0, 0).value, 0u);
  EXPECT_EQ(*log.offset_for_time(0, records.front().log_time_us).value, 0u);
  // The first record at or after a time between the two: the first of the later ones.
  EXPECT_EQ(*log.offset_for_time(0, records.front().log_time_us + 1).value, later->offset);
  EXPECT_EQ(*log.offset_for_time(0, later->log_time_us).value, later->offset);
  // After the last record: the end.
  EXPECT_EQ(*log.offset_for_time(0, records.back().log_time_us + 1000).value, log.end_offset(0));
}

TEST_F(KafkaEventLogTest, RefusesAPartitionCountThatDiffersFromTheTopics) {
  { KafkaEventLog created(options(4)); }
  try {
    testing::TempDir other;
    KafkaEventLog mismatched(options(8, other.path() + "/index"));
    FAIL() << "opened 4-partition topics as 8 partitions";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has 4 partitions but the log is configured for 8"), std::string::npos)
        << e.what();
  }
  // Events and outcomes topics that disagree with each other.
  const std::string split = testing::unique_topic_prefix("split");
  testing::create_topic(split + ".events", 3);
  testing::create_topic(split + ".outcomes", 2);
  auto o = options(3);
  o.topic_prefix = split;
  try {
    KafkaEventLog split_log(o);
    FAIL() << "opened events and outcomes topics of different partition counts";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("co-partitioned"), std::string::npos) << e.what();
  }
}

TEST_F(KafkaEventLogTest, OversizedRecordsFailTheAppendAndWriteNothing) {
  auto o = options(1);
  KafkaEventLog log(o);
  ASSERT_TRUE(log.append(0, AppendBatch{{event("s", 1)}, {}, {}, {}}));
  const std::uint64_t end_before = log.wait_beyond(0, 1, std::chrono::seconds(10));

  // Over the client's limit: refused before anything is sent.
  AppendBatch big;
  big.records = {event("s", 2), event("s", 3, std::string(o.max_message_bytes + 1, 'x'))};
  big.outcomes = {outcome_of("cmd-big", "s", 0, 0)};
  auto refused = log.append(0, big);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error, LogError::too_large);
  EXPECT_NE(refused.detail.find("bytes"), std::string::npos) << refused.detail;

  // Within the client's limit but over the topic's max.message.bytes (1 MiB by default): the
  // broker refuses it, and the transaction with the batch's other record is aborted.
  testing::TempDir other;
  auto lenient = options(1, other.path() + "/index");
  lenient.max_message_bytes = 4 << 20;
  lenient.transactional_id = prefix_ + ".lenient";
  KafkaEventLog lenient_log(lenient);
  AppendBatch broker_big;
  broker_big.records = {event("s", 2), event("s", 3, std::string(2 << 20, 'y'))};
  broker_big.outcomes = {outcome_of("cmd-broker-big", "s", 0, 0)};
  auto rejected = lenient_log.append(0, broker_big);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error, LogError::too_large) << rejected.detail;
  // The aborted transaction leaves the producer usable.
  auto after_abort = lenient_log.append(0, AppendBatch{{event("t", 1)}, {outcome_of("cmd-t", "t", 0, 0)}, {}, {}});
  ASSERT_TRUE(after_abort) << after_abort.detail;
  EXPECT_TRUE(lenient_log.find_outcome("cmd-t").value->has_value());

  // Nothing of either batch is visible, and the log still appends.
  auto ok = log.append(0, AppendBatch{{event("s", 2)}, {}, {}, {}});
  ASSERT_TRUE(ok) << ok.detail;
  EXPECT_GE(ok.value->first_offset, end_before);
  auto records = read_until(log, 0, 0, ok.value->end_offset);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(stream_of(records[0]), "s#1");
  EXPECT_EQ(stream_of(records[1]), "t#1");
  EXPECT_EQ(stream_of(records[2]), "s#2");
  EXPECT_FALSE(log.find_outcome("cmd-big").value->has_value());
  testing::TempDir fresh;
  KafkaEventLog restored(options(1, fresh.path() + "/index"));
  EXPECT_FALSE(restored.find_outcome("cmd-broker-big").value->has_value());
  EXPECT_EQ(restored.read_stream("s").value->size(), 2u);
}

TEST_F(KafkaEventLogTest, ANewInstanceWithTheSameTransactionalIdFencesTheOldOne) {
  KafkaEventLog old_writer(options(1));
  ASSERT_TRUE(old_writer.append(0, AppendBatch{{event("s", 1)}, {}, {}, {}}));
  testing::TempDir other;
  KafkaEventLog new_writer(options(1, other.path() + "/index"));  // same transactional.id

  auto zombie = old_writer.append(0, AppendBatch{{event("zombie", 1)}, {outcome_of("cmd-zombie", "zombie", 0, 0)}, {}, {}});
  ASSERT_FALSE(zombie) << "a fenced writer appended";
  auto again = old_writer.append(0, AppendBatch{{event("zombie", 1)}, {}, {}, {}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error, LogError::closed) << again.detail;
  EXPECT_NE(again.detail.find("transactional.id"), std::string::npos) << again.detail;

  auto appended = new_writer.append(0, AppendBatch{{event("s", 2)}, {}, {}, {}});
  ASSERT_TRUE(appended) << appended.detail;
  auto records = read_until(new_writer, 0, 0, appended.value->end_offset);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(stream_of(records[0]), "s#1");
  EXPECT_EQ(stream_of(records[1]), "s#2");
  EXPECT_FALSE(new_writer.find_outcome("cmd-zombie").value->has_value());
}

TEST_F(KafkaEventLogTest, AppendingToADeletedTopicFailsNamingTheTopic) {
  auto o = options(1);
  o.request_timeout = std::chrono::seconds(3);
  KafkaEventLog log(o);
  ASSERT_TRUE(log.append(0, AppendBatch{{event("s", 1)}, {}, {}, {}}));
  testing::delete_topic(log.events_topic());

  auto appended = log.append(0, AppendBatch{{event("s", 2)}, {outcome_of("cmd-lost", "s", 0, 0)}, {}, {}});
  ASSERT_FALSE(appended) << "appended to a deleted topic";
  EXPECT_NE(appended.detail.find(log.events_topic()), std::string::npos) << appended.detail;
  EXPECT_NE(appended.detail.find("does not exist"), std::string::npos) << appended.detail;
  EXPECT_FALSE(log.find_outcome("cmd-lost").value->has_value());
}

TEST_F(KafkaEventLogTest, UnreachableBrokerFailsAtStartNamingTheAddress) {
  // A loopback port that nobody listens on: bound, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  const std::string brokers = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  auto o = options(1);
  o.brokers = brokers;
  o.connect_timeout = std::chrono::seconds(2);
  const auto started = std::chrono::steady_clock::now();
  try {
    KafkaEventLog log(o);
    FAIL() << "opened a log on a closed port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach Kafka at " + brokers), std::string::npos) << e.what();
  }
  // Liveness, not speed: start-up gives up after its connect timeout instead of retrying
  // forever (the margin covers a loaded machine).
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace orderline::eventstore
