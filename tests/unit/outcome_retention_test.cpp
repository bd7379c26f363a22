// Outcome retention of the embedded log (DESIGN rule 4: outcomes kept at least 24 hours),
// on an injected clock: within the retention a retry gets the first result; past it the
// outcome is gone once compaction ran, and the retry still writes no second order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "tests/support/engine_fixture.h"

namespace orderline {
namespace {

using namespace std::chrono_literals;
using testing::place_order;

constexpr std::int64_t kHourUs = 3'600'000'000;
constexpr std::uint32_t kPartitions = 2;

class OutcomeRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventstore::EmbeddedLogOptions options{dir_.path(), kPartitions};
    options.outcome_retention = 48h;
    options.now_us = [this] { return now_.load(); };
    log_ = std::make_unique<eventstore::EmbeddedLog>(options);
    auto lookups = testing::fixed_lookups();
    lookups.now_us = [this] { return now_.load(); };  // outcomes are recorded on the same clock
    for (std::uint32_t p = 0; p < kPartitions; ++p) {
      processors_.push_back(std::make_unique<commands::PartitionProcessor>(p, *log_, lookups, commands::ProcessorOptions{}));
    }
  }

  commands::CommandReply run(const v1::Command& command) {
    return processors_[eventstore::partition_for(command.stream_id(), kPartitions)]->process({command}).front();
  }
  bool outcome_kept(const std::string& command_id) {
    auto found = log_->find_outcome(command_id);
    EXPECT_TRUE(found) << found.detail;
    return found && found.value->has_value();
  }

  testing::TempDir dir_;
  std::atomic<std::int64_t> now_{1'764'000'000'000'000};
  std::unique_ptr<eventstore::EmbeddedLog> log_;
  std::vector<std::unique_ptr<commands::PartitionProcessor>> processors_;
};

TEST_F(OutcomeRetentionTest, ARetryWithinTheRetentionGetsTheFirstResultAndOnePastItIsGone) {
  const auto first = run(place_order("early"));
  ASSERT_TRUE(first.outcome.accepted()) << first.outcome.error_detail();
  now_ += 47 * kHourUs;
  const auto later = run(place_order("late"));
  ASSERT_TRUE(later.outcome.accepted());

  // 47 h on, inside the 48 h retention: compaction keeps it and a retry is answered from it.
  ASSERT_TRUE(log_->expire_outcomes());
  EXPECT_TRUE(outcome_kept("place-early"));
  EXPECT_EQ(run(place_order("early")).outcome.SerializeAsString(), first.outcome.SerializeAsString());

  // 49 h on: the first outcome is past the retention and compaction drops it; the later one stays.
  now_ += 2 * kHourUs;
  ASSERT_TRUE(log_->expire_outcomes());
  EXPECT_FALSE(outcome_kept("place-early"));
  EXPECT_TRUE(outcome_kept("place-late"));
  EXPECT_EQ(run(place_order("late")).outcome.SerializeAsString(), later.outcome.SerializeAsString());

  // A retry past the retention is decided afresh against the order's stream: refused, and no
  // second order is written.
  const auto stale_retry = run(place_order("early"));
  EXPECT_FALSE(stale_retry.outcome.accepted());
  EXPECT_EQ(stale_retry.outcome.error_code(), "already_exists");
  EXPECT_EQ(log_->read_stream(domain::order_stream("early")).value->size(), 1u);
}

TEST_F(OutcomeRetentionTest, OutcomesSurviveAReopenAndTheRetentionAppliesAfterIt) {
  run(place_order("o1"));
  log_->close();
  processors_.clear();
  now_ += 100 * kHourUs;
  SetUp();  // reopened with the same clock
  EXPECT_TRUE(outcome_kept("place-o1"));  // compaction has not run: kept longer, never shorter
  ASSERT_TRUE(log_->expire_outcomes());
  EXPECT_FALSE(outcome_kept("place-o1"));
}

TEST(OutcomeRetention, LessThanADayIsRefused) {
  ::orderline::testing::TempDir dir;
  eventstore::EmbeddedLogOptions options{dir.path(), 1};
  options.outcome_retention = 23h;
  EXPECT_THROW(eventstore::EmbeddedLog log(options), std::runtime_error);
  options.outcome_retention = 24h;
  EXPECT_NO_THROW(eventstore::EmbeddedLog log(options));
}

}  // namespace
}  // namespace orderline
