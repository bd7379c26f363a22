// `orderctl events export` against a real embedded log that is still open by its writer (as
// under a running orderd): the export equals the log (counts and types), JSON lines parse,
// CSV has its header and parses back, time and position bounds cut exactly, filters keep only
// what they name, and restricted (credentials) streams never appear.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "eventstore/embedded/embedded_log.h"
#include "eventstore/position.h"
#include "tests/support/export_history.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

namespace json = boost::json;
using testing::count_types;
using testing::instant_between;
using testing::orderctl;
using testing::parse_csv;
using Written = testing::WrittenEvent;
constexpr std::uint32_t kPartitions = 4;

std::vector<json::object> parse_lines(const std::string& text) { return testing::parse_json_lines(text); }

// A log under <dir>/log, as orderd lays it out, written phase by phase with known events.
class LogFixture : public testing::ExportHistory {
 public:
  explicit LogFixture(const std::string& data_dir)
      : ExportHistory(log_, kPartitions), data_dir_(data_dir), log_(make_options(data_dir)) {}

  const std::string& data_dir() const { return data_dir_; }

 private:
  static eventstore::EmbeddedLogOptions make_options(const std::string& data_dir) {
    std::filesystem::create_directories(data_dir);
    eventstore::EmbeddedLogOptions options;
    options.path = data_dir + "/log";
    options.partitions = kPartitions;
    options.sync = false;
    return options;
  }

  std::string data_dir_;
  eventstore::EmbeddedLog log_;
};

class EventExport : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = std::make_unique<LogFixture>(dir_.path() + "/data");
    for (int i = 0; i < 20; ++i) log_->order("a" + std::to_string(i), i % 2 == 0);
    log_->credentials("c1");
    log_->customer("u1");
    phase_a_end_ = log_->written().size();
    t1_ = instant_between();
    token_a_ = log_->position_now();
    for (int i = 0; i < 15; ++i) log_->order("b" + std::to_string(i), true);
    log_->credentials("c2");
    phase_b_end_ = log_->written().size();
    t2_ = instant_between();
    for (int i = 0; i < 10; ++i) log_->order("c" + std::to_string(i), false);
    log_->credentials("c3");
  }

  std::vector<std::string> base(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"events", "export", "--data-dir", log_->data_dir()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  testing::TempDir dir_;
  std::unique_ptr<LogFixture> log_;
  std::size_t phase_a_end_ = 0, phase_b_end_ = 0;
  std::string t1_, t2_, token_a_;
};

TEST_F(EventExport, JsonLinesEqualTheLogWithoutRestrictedStreams) {
  const auto run = orderctl(base({"--format", "jsonl"}));
  ASSERT_EQ(run.status, 0) << run.out;
  const auto lines = parse_lines(run.out);
  EXPECT_EQ(count_types(lines), count_types(log_->written()));
  EXPECT_EQ(lines.size(), log_->written().size() - 3);  // three credential events
  std::int64_t previous_time = 0;
  for (const auto& line : lines) {
    const auto& envelope = line.at("envelope").as_object();
    EXPECT_NE(std::string(envelope.at("stream_id").as_string()).rfind("credentials-", 0), 0u);
    // Envelope fields through the Protobuf JSON mapping (64-bit integers as strings).
    for (const char* field : {"event_id", "stream_id", "stream_version", "type", "occurred_at_us", "correlation_id", "actor"}) {
      EXPECT_TRUE(envelope.contains(field)) << field << " missing in " << json::serialize(line);
    }
    EXPECT_FALSE(envelope.contains("payload"));
    EXPECT_TRUE(line.at("data").is_object()) << json::serialize(line);
    EXPECT_TRUE(line.contains("partition") && line.contains("offset") && line.contains("log_time"));
    // One timeline: log times never go back across partitions.
    const auto time = line.at("log_time_us").as_int64();
    EXPECT_GE(time, previous_time);
    previous_time = time;
  }
  EXPECT_EQ(run.out.find("argon2id"), std::string::npos);
}

TEST_F(EventExport, CsvHasAHeaderAndParsesBack) {
  const std::string file = dir_.path() + "/events.csv";
  const auto run = orderctl(base({"--format", "csv", "--out", file}));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rows = parse_csv(text);
  ASSERT_FALSE(rows.empty());
  const std::vector<std::string> header = {"partition", "offset", "log_time", "event_id", "stream_id",
                                           "stream_version", "type", "schema_version", "occurred_at",
                                           "correlation_id", "causation_id", "command_id", "actor", "data"};
  EXPECT_EQ(rows[0], header);
  ASSERT_EQ(rows.size(), log_->written().size() - 3 + 1);
  std::map<std::string, int> types;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "row " << i;
    ++types[rows[i][6]];
    EXPECT_EQ(rows[i][9], "corr, \"quoted\"");
    EXPECT_NE(rows[i][4].rfind("credentials-", 0), 0u);
    json::error_code ec;
    (void)json::parse(rows[i][13], ec);
    EXPECT_FALSE(ec) << rows[i][13];
  }
  EXPECT_EQ(types, count_types(log_->written()));
  // A customer name a spreadsheet would run as a formula stays text inside the JSON field.
  EXPECT_NE(text.find("=HYPERLINK"), std::string::npos);
}

TEST_F(EventExport, TimeBoundsCutAtTheLogTimeHalfOpen) {
  const auto a = orderctl(base({"--to", t1_}));
  const auto b = orderctl(base({"--from", t1_, "--to", t2_}));
  const auto c = orderctl(base({"--from", t2_}));
  ASSERT_EQ(a.status + b.status + c.status, 0) << a.out << b.out << c.out;
  EXPECT_EQ(count_types(parse_lines(a.out)), count_types(log_->written(), 0, phase_a_end_));
  EXPECT_EQ(count_types(parse_lines(b.out)), count_types(log_->written(), phase_a_end_, phase_b_end_));
  EXPECT_EQ(count_types(parse_lines(c.out)), count_types(log_->written(), phase_b_end_));
  // A date is midnight UTC: the whole of this test's log is after 2020-01-01 and before 2100.
  const auto all = orderctl(base({"--from", "2020-01-01", "--to", "2100-01-01T00:00:00Z"}));
  EXPECT_EQ(parse_lines(all.out).size(), log_->written().size() - 3);
  const auto none = orderctl(base({"--to", "2020-01-01"}));
  EXPECT_EQ(none.status, 0);
  EXPECT_TRUE(none.out.empty()) << none.out;
}

TEST_F(EventExport, PositionBoundsCutAtTheTokensOffsets) {
  const auto before = orderctl(base({"--to", token_a_}));
  const auto after = orderctl(base({"--from", token_a_}));
  ASSERT_EQ(before.status + after.status, 0);
  EXPECT_EQ(count_types(parse_lines(before.out)), count_types(log_->written(), 0, phase_a_end_));
  EXPECT_EQ(count_types(parse_lines(after.out)), count_types(log_->written(), phase_a_end_));
}

TEST_F(EventExport, TypeAndStreamFiltersKeepOnlyWhatTheyName) {
  const auto placed = parse_lines(orderctl(base({"--type", "OrderPlaced"})).out);
  EXPECT_EQ(placed.size(), 45u);
  for (const auto& line : placed) EXPECT_EQ(line.at("envelope").at("type").as_string(), "OrderPlaced");
  const auto two = parse_lines(orderctl(base({"--type", "OrderPaid", "--type", "CustomerRegistered"})).out);
  EXPECT_EQ(two.size(), 10u + 15u + 1u);

  const auto stream = parse_lines(orderctl(base({"--stream", "order-b3"})).out);
  ASSERT_EQ(stream.size(), 2u);
  EXPECT_EQ(stream[0].at("envelope").at("stream_version").as_string(), "1");
  EXPECT_EQ(stream[1].at("envelope").at("type").as_string(), "OrderPaid");
  EXPECT_TRUE(parse_lines(orderctl(base({"--stream", "order-nope"})).out).empty());
  // The type filter never lets a restricted stream through.
  EXPECT_TRUE(parse_lines(orderctl(base({"--type", "CredentialsSet"})).out).empty());
}

TEST_F(EventExport, RefusesBadInputsClearly) {
  auto restricted = orderctl(base({"--stream", "credentials-c1"}), true);
  EXPECT_EQ(restricted.status, 2);
  EXPECT_NE(restricted.out.find("restricted"), std::string::npos) << restricted.out;
  EXPECT_EQ(restricted.out.find("argon2id"), std::string::npos);

  for (const char* bad : {"yesterday", "2026-13-01", "p1.!!", ""}) {
    auto run = orderctl(base({"--from", bad}), true);
    if (std::string(bad).empty()) continue;  // an empty value is "unbounded"
    EXPECT_EQ(run.status, 2) << bad << ": " << run.out;
    EXPECT_NE(run.out.find("not an RFC 3339 time"), std::string::npos) << run.out;
  }
  auto format = orderctl(base({"--format", "xml"}), true);
  EXPECT_NE(format.status, 0);
  auto missing = orderctl({"events", "export", "--data-dir", dir_.path() + "/nothing-here"}, true);
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find("no event log"), std::string::npos) << missing.out;
}

TEST_F(EventExport, ReportsProgressOnStderrOnlyWhenAsked) {
  const std::string file = dir_.path() + "/quiet.jsonl";
  auto quiet = orderctl(base({"--out", file}), true);  // stderr is a pipe here, not a terminal
  EXPECT_EQ(quiet.status, 0);
  EXPECT_TRUE(quiet.out.empty()) << quiet.out;
  auto loud = orderctl(base({"--out", file, "--progress"}), true);
  EXPECT_EQ(loud.status, 0);
  const auto total = log_->written().size();
  EXPECT_NE(loud.out.find("exported " + std::to_string(total - 3) + " of " + std::to_string(total) + " events"),
            std::string::npos)
      << loud.out;
  // The token it names goes on where it ended: nothing more now, everything new later.
  const auto marker = loud.out.find("next: --from ");
  ASSERT_NE(marker, std::string::npos) << loud.out;
  auto token = loud.out.substr(marker + 13);
  token = token.substr(0, token.find_first_of("\r\n"));
  EXPECT_EQ(token, log_->position_now());
  auto rest = orderctl(base({"--from", token}));
  EXPECT_EQ(rest.status, 0);
  EXPECT_TRUE(rest.out.empty()) << rest.out;
  log_->order("late", false);
  EXPECT_EQ(parse_lines(orderctl(base({"--from", token})).out).size(), 1u);
}

}  // namespace
}  // namespace orderline
