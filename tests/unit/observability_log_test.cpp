// JSON log lines: every line parses as JSON whatever the message holds, and carries the
// correlation and causation ids of the scope it was written in.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <sstream>

#include "observability/json_log_formatter.h"
#include "observability/log.h"
#include "observability/log_context.h"

namespace orderline::observability {
namespace {

namespace json = boost::json;

class JsonLog : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    sink->set_formatter(std::make_unique<JsonLogFormatter>());
    logger_ = std::make_shared<spdlog::logger>("projector", sink);
    logger_->set_level(spdlog::level::trace);
  }

  // The lines written so far, each parsed (a line that is not JSON fails the test).
  std::vector<json::object> lines() {
    std::vector<json::object> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      auto value = json::parse(line, ec);
      EXPECT_FALSE(ec) << "not JSON: " << line;
      if (!ec && value.is_object()) out.push_back(value.as_object());
    }
    return out;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_F(JsonLog, EscapesWhateverTheMessageHolds) {
  const std::string nasty = "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f utf-8 \xc3\xa9";
  logger_->warn("sku {}", nasty);
  const auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("msg").as_string(), "sku " + nasty);
  EXPECT_EQ(all[0].at("level").as_string(), "warning");
  EXPECT_EQ(all[0].at("component").as_string(), "projector");
  const std::string time(all[0].at("time").as_string());
  EXPECT_EQ(time.size(), std::string("2026-01-02T03:04:05.123456Z").size()) << time;
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_FALSE(all[0].contains("correlation_id"));  // no scope: no ids
}

TEST_F(JsonLog, LinesCarryTheIdsOfTheirScope) {
  {
    ScopedLogContext outer("corr-1", "place-o-1");
    logger_->info("outer");
    {
      ScopedLogContext inner("corr-\"2\"");
      logger_->info("inner");
    }
    logger_->info("outer again");
  }
  logger_->info("none");
  const auto all = lines();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].at("correlation_id").as_string(), "corr-1");
  EXPECT_EQ(all[0].at("causation_id").as_string(), "place-o-1");
  EXPECT_EQ(all[1].at("correlation_id").as_string(), "corr-\"2\"");
  EXPECT_FALSE(all[1].contains("causation_id"));
  EXPECT_EQ(all[2].at("correlation_id").as_string(), "corr-1");
  EXPECT_FALSE(all[3].contains("correlation_id"));
}

TEST(LogLevels, ParseAndSetAtRunTime) {
  EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(parse_log_level("DEBUG"), std::nullopt);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);

  const auto before = spdlog::default_logger()->level();
  auto component = std::make_shared<spdlog::logger>("commands-test");
  spdlog::register_logger(component);
  set_log_level(spdlog::level::err);
  EXPECT_EQ(log_level_name(), "error");
  EXPECT_EQ(component->level(), spdlog::level::err);
  EXPECT_FALSE(should_log(spdlog::level::warn));
  set_log_level(spdlog::level::warn);
  EXPECT_EQ(log_level_name(), "warn");
  EXPECT_TRUE(should_log(spdlog::level::warn));
  spdlog::drop("commands-test");
  set_log_level(before);
}

}  // namespace
}  // namespace orderline::observability
