// The pieces of `orderctl events export` that need no log: what --from/--to accept, and the
// progress line (rate, ETA, and the token the next export goes on from).
#include <gtest/gtest.h>

#include "cli/event_export.h"
#include "domain/restricted_streams.h"
#include "eventstore/position.h"

namespace orderline::cli {
namespace {

TEST(ExportBounds, TimesDatesAndPositionTokens) {
  auto time = parse_export_bound("2026-11-29T10:15:30.5+01:00");
  ASSERT_TRUE(time);
  EXPECT_EQ(time->kind, ExportBound::Kind::time);
  EXPECT_EQ(time->time_us, 1'795'943'730'500'000);  // 2026-11-29T09:15:30.5Z
  auto date = parse_export_bound("2026-11-29");
  ASSERT_TRUE(date);
  EXPECT_EQ(date->time_us % 86'400'000'000LL, 0);

  eventstore::PositionVector position;
  position.offsets[3] = 42;
  auto token = parse_export_bound(eventstore::encode_position(position));
  ASSERT_TRUE(token);
  EXPECT_EQ(token->kind, ExportBound::Kind::position);
  EXPECT_EQ(token->position.offsets, position.offsets);

  for (const char* bad : {"", "yesterday", "2026-11-29T10:15:30", "2026-02-30", "p1.!", "1700000000", "p2.AQcC"}) {
    EXPECT_FALSE(parse_export_bound(bad)) << bad;
  }
}

TEST(ExportProgressLine, RateEtaAndTheTokenToGoOnFrom) {
  ExportProgress progress;
  progress.scanned = 250'000;
  progress.total = 1'000'000;
  progress.exported = 200'000;
  progress.elapsed_s = 2.5;
  EXPECT_EQ(progress_line(progress),
            "export  250000/1000000 events  25.0%  100000 events/s  ETA 8 s  (written 200000)");
  progress.done = true;
  progress.end_position = "p1.AQcC";
  EXPECT_EQ(progress_line(progress), "exported 200000 of 250000 events in 2.5 s (100000 events/s); next: --from p1.AQcC");
  EXPECT_EQ(progress_line(ExportProgress{}), "export  0/0 events  100.0%  0 events/s  ETA 0 s  (written 0)");
}

TEST(RestrictedStreams, OnlyCredentialStreams) {
  EXPECT_TRUE(domain::is_restricted_stream("credentials-1234"));
  EXPECT_TRUE(domain::is_restricted_stream("credentials-"));
  for (const char* open : {"order-1", "customer-credentials-1", "Credentials-1", "credential-1", ""}) {
    EXPECT_FALSE(domain::is_restricted_stream(open)) << open;
  }
}

}  // namespace
}  // namespace orderline::cli
