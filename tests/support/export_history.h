#pragma once
// For the tests of `orderctl events export` on either log (event_export_test: embedded,
// kafka_event_export_test: Kafka): a history of known events written through any EventLog,
// phase by phase, and readers of what orderctl printed (JSON lines, CSV) to compare with it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_log.h"
#include "eventstore/partitioning.h"
#include "eventstore/position.h"
#include "gateway/json_mapping.h"
#include "orderline/v1/events.pb.h"
#include "tests/support/log_time.h"
#include "tests/support/process.h"

#ifndef ORDERCTL_PATH
#error "ORDERCTL_PATH must name the orderctl binary"
#endif

namespace orderline::testing {

struct WrittenEvent {
  std::string stream;
  std::string type;
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;  // where the log put it
};

// Orders, customers and credentials (a restricted stream) appended one event per append, so
// every event is its own commit (in Kafka: its own transaction, with a marker after it).
class ExportHistory {
 public:
  ExportHistory(eventstore::EventLog& log, std::uint32_t partitions) : log_(log), partitions_(partitions) {}

  void append(const std::string& stream, const v1::EventPayload& payload, const std::string& type) {
    auto& version = versions_[stream];
    v1::EventEnvelope envelope;
    envelope.set_event_id("event-" + std::to_string(written_.size()));
    envelope.set_stream_id(stream);
    envelope.set_stream_version(++version);
    envelope.set_type(type);
    envelope.set_schema_version(1);
    envelope.set_occurred_at_us(1'790'000'000'000'000 + static_cast<std::int64_t>(written_.size()));
    envelope.set_correlation_id("corr, \"quoted\"");
    envelope.set_actor("test");
    envelope.set_payload(payload.SerializeAsString());
    eventstore::AppendBatch batch;
    batch.records.push_back({stream, envelope.SerializeAsString(), version});
    const auto partition = eventstore::partition_for(stream, partitions_);
    auto result = log_.append(partition, batch);
    ASSERT_TRUE(result) << result.detail;
    written_.push_back({stream, type, partition, result.value->first_offset});
    ends_.offsets[partition] = result.value->end_offset;
  }

  void order(const std::string& id, bool pay) {
    v1::EventPayload placed;
    auto* p = placed.mutable_order_placed();
    p->set_order_id(id);
    p->set_customer_id("customer, with a comma");
    p->mutable_total()->set_amount_minor(1999);
    p->mutable_total()->set_currency("EUR");
    append("order-" + id, placed, "OrderPlaced");
    if (pay) {
      v1::EventPayload paid;
      paid.mutable_order_paid()->set_order_id(id);
      paid.mutable_order_paid()->set_reason("paid");
      append("order-" + id, paid, "OrderPaid");
    }
  }

  void credentials(const std::string& id) {
    v1::EventPayload secret;  // any payload will do: the stream name is what restricts it
    secret.mutable_customer_registered()->set_customer_id(id);
    secret.mutable_customer_registered()->set_email("hash:$argon2id$secret");
    append("credentials-" + id, secret, "CredentialsSet");
  }

  void customer(const std::string& id) {
    v1::EventPayload registered;
    registered.mutable_customer_registered()->set_customer_id(id);
    registered.mutable_customer_registered()->set_name("=HYPERLINK(\"x\")");
    append("customer-" + id, registered, "CustomerRegistered");
  }

  // The position after every append so far (each partition's last AppendResult::end_offset).
  std::string position_now() const {
    auto position = ends_;
    for (std::uint32_t p = 0; p < partitions_; ++p) position.offsets.try_emplace(p, 0);
    return eventstore::encode_position(position);
  }

  const std::vector<WrittenEvent>& written() const { return written_; }

 private:
  eventstore::EventLog& log_;
  std::uint32_t partitions_;
  std::map<std::string, std::uint64_t> versions_;
  std::vector<WrittenEvent> written_;
  eventstore::PositionVector ends_;
};

struct OrderctlRun {
  int status = -1;
  std::string out;  // stdout, or stdout + stderr with merge
};

inline OrderctlRun orderctl(const std::vector<std::string>& args, bool merge_stderr = false) {
  std::string command = std::string(ORDERCTL_PATH);
  for (const auto& a : args) command += " '" + a + "'";
  if (merge_stderr) command += " 2>&1";
  OrderctlRun run;
  run.out = run_command({"/bin/sh", "-c", command}, &run.status);
  return run;
}

inline std::vector<boost::json::object> parse_json_lines(const std::string& text) {
  std::vector<boost::json::object> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    boost::json::error_code ec;
    auto value = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    if (!ec) lines.push_back(value.as_object());
  }
  return lines;
}

inline std::map<std::string, int> count_types(const std::vector<boost::json::object>& lines) {
  std::map<std::string, int> counts;
  for (const auto& line : lines) ++counts[std::string(line.at("envelope").at("type").as_string())];
  return counts;
}

// The types of written[first, last) that an export may show (credentials never).
inline std::map<std::string, int> count_types(const std::vector<WrittenEvent>& written, std::size_t first = 0,
                                              std::size_t last = SIZE_MAX) {
  std::map<std::string, int> counts;
  for (std::size_t i = first; i < std::min(last, written.size()); ++i) {
    if (written[i].stream.rfind("credentials-", 0) != 0) ++counts[written[i].type];
  }
  return counts;
}

// RFC 4180: records of fields, quotes doubled inside quoted fields, CRLF between records.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') rows.back().back() += '"', ++i;
      else if (c == '"') quoted = false;
      else rows.back().back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.emplace_back(1);
      ++i;
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

}  // namespace orderline::testing
