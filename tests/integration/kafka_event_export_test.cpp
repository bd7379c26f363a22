// `orderctl events export --event-log kafka://...` against the real broker: events written
// through a KafkaEventLog (every append its own transaction, so markers sit between records)
// come out exactly -- same partitions, offsets, streams and types, in log-time order -- with
// restricted streams left out; aborted and still-open transactions are never exported and an
// open one does not hold the export up; time (LogAppendTime) and position bounds cut where
// they should; filters, CSV and the progress token work as on the embedded log; a wrong
// prefix and an unreachable broker fail clearly with their exit codes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/partitioning.h"
#include "tests/support/export_history.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::count_types;
using testing::orderctl;
using testing::parse_json_lines;
constexpr std::uint32_t kPartitions = 4;

using Key = std::tuple<std::uint32_t, std::uint64_t, std::string, std::string>;  // partition, offset, stream, type

std::set<Key> expected(const std::vector<testing::WrittenEvent>& written, std::size_t first = 0,
                       std::size_t last = SIZE_MAX) {
  std::set<Key> keys;
  for (std::size_t i = first; i < std::min(last, written.size()); ++i) {
    const auto& w = written[i];
    if (w.stream.rfind("credentials-", 0) != 0) keys.insert({w.partition, w.offset, w.stream, w.type});
  }
  return keys;
}

std::set<Key> exported(const std::vector<json::object>& lines) {
  std::set<Key> keys;
  for (const auto& line : lines) {
    keys.insert({static_cast<std::uint32_t>(line.at("partition").as_int64()),
                  static_cast<std::uint64_t>(line.at("offset").as_int64()),
                  std::string(line.at("envelope").at("stream_id").as_string()),
                  std::string(line.at("envelope").at("type").as_string())});
  }
  return keys;
}

class KafkaEventExport : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERLINE_REQUIRE_KAFKA();
    prefix_ = testing::unique_topic_prefix("export");
    eventstore::KafkaLogOptions options;
    options.brokers = testing::kafka_brokers();
    options.topic_prefix = prefix_;
    options.partitions = kPartitions;
    options.state_dir = dir_.path() + "/index";
    log_ = std::make_unique<eventstore::KafkaEventLog>(options);
    history_ = std::make_unique<testing::ExportHistory>(*log_, kPartitions);
    for (int i = 0; i < 12; ++i) history_->order("a" + std::to_string(i), i % 2 == 0);
    history_->credentials("c1");
    history_->customer("u1");
    phase_a_end_ = history_->written().size();
    t1_ = testing::instant_between();
    token_a_ = history_->position_now();
    for (int i = 0; i < 8; ++i) history_->order("b" + std::to_string(i), true);
    history_->credentials("c2");
    phase_b_end_ = history_->written().size();
    t2_ = testing::instant_between();
    for (int i = 0; i < 6; ++i) history_->order("c" + std::to_string(i), false);
    history_->credentials("c3");
  }

  std::vector<std::string> base(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"events", "export", "--event-log",
                                     "kafka://" + testing::kafka_brokers() + "?prefix=" + prefix_};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // A serialized envelope of `stream`, for records written around the log.
  static std::string envelope_of(const std::string& stream) {
    v1::EventEnvelope envelope;
    envelope.set_stream_id(stream);
    envelope.set_stream_version(1);
    envelope.set_type("OrderPlaced");
    return envelope.SerializeAsString();
  }

  testing::TempDir dir_;
  std::string prefix_;
  std::unique_ptr<eventstore::KafkaEventLog> log_;
  std::unique_ptr<testing::ExportHistory> history_;
  std::size_t phase_a_end_ = 0, phase_b_end_ = 0;
  std::string t1_, t2_, token_a_;
};

TEST_F(KafkaEventExport, JsonLinesAreExactlyTheCommittedRecordsWithoutRestrictedStreams) {
  const auto run = orderctl(base({"--format", "jsonl"}));
  ASSERT_EQ(run.status, 0) << run.out;
  const auto lines = parse_json_lines(run.out);
  const auto& written = history_->written();
  EXPECT_EQ(lines.size(), written.size() - 3);  // three credential events
  EXPECT_EQ(exported(lines), expected(written));
  std::int64_t previous_time = 0;
  for (const auto& line : lines) {
    // One timeline: log times (the broker's LogAppendTime) never go back across partitions.
    const auto time = line.at("log_time_us").as_int64();
    EXPECT_GE(time, previous_time);
    EXPECT_EQ(time % 1000, 0) << "Kafka log times are milliseconds";
    previous_time = time;
    EXPECT_TRUE(line.at("data").is_object()) << json::serialize(line);
    EXPECT_FALSE(line.at("envelope").as_object().contains("payload"));
  }
  EXPECT_EQ(run.out.find("argon2id"), std::string::npos);
}

TEST_F(KafkaEventExport, AbortedAndOpenTransactionsAreNeverExportedNorWaitedFor) {
  const auto partition = static_cast<std::int32_t>(eventstore::partition_for("order-open", kPartitions));
  testing::ForeignProducer aborted(prefix_ + ".aborter");
  aborted.begin();
  aborted.produce(prefix_ + ".events", partition, "order-aborted", envelope_of("order-aborted"));
  aborted.abort();
  testing::ForeignProducer open(prefix_ + ".open");
  open.begin();
  open.produce(prefix_ + ".events", partition, "order-open", envelope_of("order-open"));
  // The open transaction holds that partition's last stable offset back; the export reads up
  // to it and ends instead of waiting for the transaction.
  const auto run = orderctl(base());
  open.abort();
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_EQ(run.out.find("order-aborted"), std::string::npos);
  EXPECT_EQ(run.out.find("order-open"), std::string::npos);
  EXPECT_EQ(exported(parse_json_lines(run.out)), expected(history_->written()));
}

TEST_F(KafkaEventExport, TimeBoundsCutAtTheLogAppendTimeHalfOpen) {
  const auto a = orderctl(base({"--to", t1_}));
  const auto b = orderctl(base({"--from", t1_, "--to", t2_}));
  const auto c = orderctl(base({"--from", t2_}));
  ASSERT_EQ(a.status + b.status + c.status, 0) << a.out << b.out << c.out;
  const auto& written = history_->written();
  EXPECT_EQ(exported(parse_json_lines(a.out)), expected(written, 0, phase_a_end_));
  EXPECT_EQ(exported(parse_json_lines(b.out)), expected(written, phase_a_end_, phase_b_end_));
  EXPECT_EQ(exported(parse_json_lines(c.out)), expected(written, phase_b_end_));
  const auto all = orderctl(base({"--from", "2020-01-01", "--to", "2100-01-01T00:00:00Z"}));
  EXPECT_EQ(parse_json_lines(all.out).size(), written.size() - 3);
  const auto none = orderctl(base({"--to", "2020-01-01"}));
  EXPECT_EQ(none.status, 0);
  EXPECT_TRUE(none.out.empty()) << none.out;
}

TEST_F(KafkaEventExport, PositionBoundsCutAtTheTokensOffsets) {
  const auto before = orderctl(base({"--to", token_a_}));
  const auto after = orderctl(base({"--from", token_a_}));
  ASSERT_EQ(before.status + after.status, 0) << before.out << after.out;
  EXPECT_EQ(exported(parse_json_lines(before.out)), expected(history_->written(), 0, phase_a_end_));
  EXPECT_EQ(exported(parse_json_lines(after.out)), expected(history_->written(), phase_a_end_));
}

TEST_F(KafkaEventExport, FiltersCsvAndTheTokenToGoOnFrom) {
  const auto placed = parse_json_lines(orderctl(base({"--type", "OrderPlaced"})).out);
  EXPECT_EQ(placed.size(), 26u);
  const auto stream = parse_json_lines(orderctl(base({"--stream", "order-b3"})).out);
  ASSERT_EQ(stream.size(), 2u);
  EXPECT_EQ(stream[1].at("envelope").at("type").as_string(), "OrderPaid");
  EXPECT_TRUE(parse_json_lines(orderctl(base({"--type", "CredentialsSet"})).out).empty());
  auto restricted = orderctl(base({"--stream", "credentials-c1"}), true);
  EXPECT_EQ(restricted.status, 2);
  EXPECT_NE(restricted.out.find("restricted"), std::string::npos) << restricted.out;

  const std::string file = dir_.path() + "/events.csv";
  const auto csv = orderctl(base({"--format", "csv", "--out", file, "--progress"}), true);
  ASSERT_EQ(csv.status, 0) << csv.out;
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rows = testing::parse_csv(text);
  ASSERT_EQ(rows.size(), history_->written().size() - 3 + 1);
  EXPECT_EQ(rows[0][0], "partition");
  std::map<std::string, int> types;
  for (std::size_t i = 1; i < rows.size(); ++i) ++types[rows[i][6]];
  EXPECT_EQ(types, count_types(history_->written()));

  // The token of the done line goes on where that export ended: nothing now, the next event later.
  const auto marker = csv.out.find("next: --from ");
  ASSERT_NE(marker, std::string::npos) << csv.out;
  auto token = csv.out.substr(marker + 13);
  token = token.substr(0, token.find_first_of("\r\n"));
  const auto rest = orderctl(base({"--from", token}));
  EXPECT_EQ(rest.status, 0);
  EXPECT_TRUE(rest.out.empty()) << rest.out;
  history_->order("late", false);
  const auto late = parse_json_lines(orderctl(base({"--from", token})).out);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].at("envelope").at("stream_id").as_string(), "order-late");
}

TEST_F(KafkaEventExport, AWrongPrefixOrAnUnreachableBrokerFailsClearly) {
  auto missing = orderctl({"events", "export", "--event-log",
                           "kafka://" + testing::kafka_brokers() + "?prefix=" + prefix_ + "-nothing-here"},
                          true);
  EXPECT_EQ(missing.status, 2) << missing.out;
  EXPECT_NE(missing.out.find("has no topic " + prefix_ + "-nothing-here.events"), std::string::npos) << missing.out;

  // Port 1 on loopback: nothing listens there.
  auto unreachable = orderctl({"events", "export", "--event-log", "kafka://127.0.0.1:1?prefix=" + prefix_}, true);
  EXPECT_EQ(unreachable.status, 1) << unreachable.out;
  EXPECT_NE(unreachable.out.find("cannot reach Kafka at 127.0.0.1:1"), std::string::npos) << unreachable.out;

  auto bad_url = orderctl({"events", "export", "--event-log", "kafka://"}, true);
  EXPECT_EQ(bad_url.status, 2) << bad_url.out;
  auto reserved = orderctl(base({"--kafka-option", "isolation.level=read_uncommitted"}), true);
  EXPECT_EQ(reserved.status, 2) << reserved.out;
  EXPECT_NE(reserved.out.find("isolation.level"), std::string::npos) << reserved.out;
}

}  // namespace
}  // namespace orderline
