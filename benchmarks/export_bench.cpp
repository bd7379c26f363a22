// Events per second through `orderctl events export`: fills an embedded log (unsynced, in a
// scratch directory; or Kafka topics of its own with --kafka) with orders placed (two lines), paid and shipped over 8 partitions, closes
// it, then times the export code orderctl runs (RocksDB secondary or a Kafka consumer, merge by log time, Protobuf
// JSON mapping, buffered writes) into /dev/null, for JSON lines and CSV, and the read + merge +
// envelope decode alone as the floor under both. Prints one JSON object on stdout.
//
//   build/benchmarks/export_bench --events 1000000        (the target: >= 300,000/s)
//   build/benchmarks/export_bench --events 100000 --kafka 127.0.0.1:9092   (from Kafka: fills
//       topics of its own with 4,096-event transactions, exports them, deletes them)
//   build/benchmarks/export_bench --events 300000 --log /tmp/exportlog   (kept and reused: a
//       second run measures, or profiles with perf, the export alone)
#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/event_export.h"
#include "eventstore/embedded/embedded_log.h"
#include "eventstore/embedded/merged_cursor.h"
#include "eventstore/kafka/kafka_event_log.h"
#include "eventstore/kafka/kafka_history_reader.h"
#include "eventstore/partitioning.h"
#include "orderline/v1/events.pb.h"

namespace {

using namespace orderline;

v1::Transition transition(const char* machine, const char* from, const char* to) {
  v1::Transition t;
  t.set_machine(machine);
  t.set_from(from);
  t.set_to(to);
  return t;
}

// The three events of order i, as the command processor would have written them.
std::vector<v1::EventPayload> order_events(std::uint64_t i) {
  const auto id = "00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
  v1::EventPayload placed;
  auto* p = placed.mutable_order_placed();
  p->set_order_id(id);
  p->set_customer_id("c0ffee00-0000-4000-8000-" + std::to_string(100000000000 + i % 5000));
  p->set_currency("EUR");
  for (int l = 0; l < 2; ++l) {
    auto* line = p->add_lines();
    line->set_sku(l == 0 ? "COFFEE-1KG" : "MUG-CLASSIC");
    line->set_name(l == 0 ? "House blend coffee beans, 1 kg" : "Classic stoneware mug");
    line->set_quantity(1 + static_cast<int>(i % 3));
    line->mutable_unit_price()->set_amount_minor(l == 0 ? 1999 : 1250);
    line->mutable_unit_price()->set_currency("EUR");
  }
  p->mutable_total()->set_amount_minor(3249);
  p->mutable_total()->set_currency("EUR");
  *p->add_transitions() = transition("order", "", "placed");
  *p->add_transitions() = transition("payment", "", "not_paid");
  *p->add_transitions() = transition("fulfillment", "", "unfulfilled");
  v1::EventPayload paid;
  paid.mutable_order_paid()->set_order_id(id);
  *paid.mutable_order_paid()->add_transitions() = transition("order", "placed", "confirmed");
  *paid.mutable_order_paid()->add_transitions() = transition("payment", "not_paid", "captured");
  paid.mutable_order_paid()->set_reason("paid");
  v1::EventPayload shipped;
  shipped.mutable_order_shipped()->set_order_id(id);
  *shipped.mutable_order_shipped()->add_transitions() = transition("fulfillment", "unfulfilled", "shipped");
  shipped.mutable_order_shipped()->set_reason("shipped");
  return {placed, paid, shipped};
}

// `batch` records per append (a Kafka append is one transaction: big ones fill faster).
std::uint64_t fill(eventstore::EventLog& log, std::uint32_t partitions, std::uint64_t events, std::size_t batch = 256) {
  std::vector<eventstore::AppendBatch> pending(partitions);
  const char* types[] = {"OrderPlaced", "OrderPaid", "OrderShipped"};
  std::uint64_t written = 0;
  auto flush = [&](std::uint32_t p) {
    if (pending[p].records.empty()) return;
    if (!log.append(p, pending[p])) throw std::runtime_error("append failed");
    pending[p].records.clear();
  };
  for (std::uint64_t i = 0; written < events; ++i) {
    const auto stream = "order-00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
    const auto p = eventstore::partition_for(stream, partitions);
    const auto payloads = order_events(i);
    for (std::size_t k = 0; k < payloads.size() && written < events; ++k, ++written) {
      v1::EventEnvelope envelope;
      envelope.set_event_id("e0000000-0000-4000-8000-" + std::to_string(100000000000 + written));
      envelope.set_stream_id(stream);
      envelope.set_stream_version(k + 1);
      envelope.set_type(types[k]);
      envelope.set_schema_version(1);
      envelope.set_occurred_at_us(1'764'000'000'000'000 + static_cast<std::int64_t>(written) * 1000);
      envelope.set_correlation_id("4bf92f3577b34da6a3ce929d0e0e4736");
      envelope.set_causation_id("cmd-" + std::to_string(written));
      envelope.set_command_id("cmd-" + std::to_string(written));
      envelope.set_actor("anonymous");
      envelope.set_payload(payloads[k].SerializeAsString());
      pending[p].records.push_back({stream, envelope.SerializeAsString(), k + 1});
    }
    if (pending[p].records.size() >= batch) flush(p);
  }
  for (std::uint32_t p = 0; p < partitions; ++p) flush(p);
  return written;
}

// The benchmark's own topics, so a run leaves nothing on a shared broker.
void delete_topics(const std::string& brokers, const std::vector<std::string>& topics) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_t* admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (admin == nullptr) {
    rd_kafka_conf_destroy(conf);
    std::cerr << "cannot delete topics: " << errstr << "\n";
    return;
  }
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& topic : topics) requests.push_back(rd_kafka_DeleteTopic_new(topic.c_str()));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  rd_kafka_DeleteTopics(admin, requests.data(), requests.size(), nullptr, queue);
  if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20'000)) {
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "cannot delete topics: " << rd_kafka_event_error_string(event) << "\n";
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  rd_kafka_destroy(admin);
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Wall seconds of run(); its CPU seconds in *cpu (on a busy machine, events per CPU second
// say more than events per wall second).
double timed(const std::function<std::uint64_t()>& run, std::uint64_t* count, double* cpu) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  *count = run();
  *cpu = cpu_seconds() - cpu_start;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Events/s through orderctl events export"};
  std::uint64_t events = 1'000'000;
  std::uint32_t partitions = 8;
  app.add_option("--events", events, "Events in the log")->capture_default_str();
  app.add_option("--partitions", partitions, "Log partitions")->capture_default_str();
  std::string kept_log;
  app.add_option("--log", kept_log, "Log directory to keep: filled when it does not exist, else reused as it is");
  std::string kafka_brokers;
  app.add_option("--kafka", kafka_brokers,
                 "Export from Kafka instead: fills topics exportbench-<pid>.* at these brokers, deletes them after");
  CLI11_PARSE(app, argc, argv);

  const auto dir = std::filesystem::temp_directory_path() / ("orderline-exportbench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "scratch");
  const std::string log_path = kept_log.empty() ? (dir / "log").string() : kept_log;
  if (kept_log.empty() || !std::filesystem::exists(kept_log)) {
    std::cerr << "filling a log of " << events << " events...\n";
    if (kafka_brokers.empty()) {
      eventstore::EmbeddedLog log({log_path, partitions, /*sync=*/false});
      fill(log, partitions, events);
    }
  }

  // Kafka: the events of a topic prefix of this run's own, deleted at the end.
  const std::string prefix = "exportbench-" + std::to_string(::getpid());
  std::unique_ptr<eventstore::HistoryReader> history;
  if (!kafka_brokers.empty()) {
    eventstore::KafkaLogOptions options;
    options.brokers = kafka_brokers;
    options.topic_prefix = prefix;
    options.partitions = partitions;
    options.state_dir = (dir / "kafka-index").string();
    {
      eventstore::KafkaEventLog log(options);
      fill(log, partitions, events, 4096);
    }
    eventstore::KafkaHistoryOptions read_options;
    read_options.brokers = kafka_brokers;
    read_options.topic_prefix = prefix;
    history = std::make_unique<eventstore::KafkaHistoryReader>(read_options);
  } else {
    history = std::make_unique<eventstore::EmbeddedLogReader>(log_path, (dir / "scratch").string());
  }
  const auto& reader = *history;
  // A reused log says itself what it holds.
  partitions = reader.partition_count();
  if (kafka_brokers.empty()) {
    events = 0;
    for (std::uint32_t p = 0; p < partitions; ++p) events += reader.end_offset(p);
  }
  std::FILE* sink = std::fopen("/dev/null", "wb");
  auto export_as = [&](cli::ExportFormat format) {
    cli::ExportOptions options;
    options.format = format;
    return cli::export_events(reader, options, sink).exported;
  };
  auto scan = [&]() {
    std::vector<eventstore::MergedCursor::Range> ranges;
    for (std::uint32_t p = 0; p < partitions; ++p) ranges.push_back({p, 0, reader.end_offset(p)});
    eventstore::MergedCursor merged(reader, ranges);
    v1::EventEnvelope envelope;
    std::uint64_t n = 0;
    while (const auto* record = merged.next()) n += envelope.ParseFromString(record->value);
    return n;
  };
  std::uint64_t scanned = 0, jsonl = 0, csv = 0;
  double scan_cpu = 0, jsonl_cpu = 0, csv_cpu = 0;
  const double scan_s = timed(scan, &scanned, &scan_cpu);
  const double jsonl_s = timed([&] { return export_as(cli::ExportFormat::jsonl); }, &jsonl, &jsonl_cpu);
  const double csv_s = timed([&] { return export_as(cli::ExportFormat::csv); }, &csv, &csv_cpu);
  std::fclose(sink);
  history.reset();
  if (!kafka_brokers.empty()) delete_topics(kafka_brokers, {prefix + ".events", prefix + ".outcomes"});
  std::filesystem::remove_all(dir);

  auto rate = [](std::uint64_t n, double s) { return static_cast<std::uint64_t>(static_cast<double>(n) / s); };
  std::cout << "{\"log\":\"" << (kafka_brokers.empty() ? "embedded" : "kafka") << "\",\"events\":" << events
            << ",\"partitions\":" << partitions
            << ",\"read_merge_decode_events_per_s\":" << rate(scanned, scan_s)
            << ",\"jsonl_events_per_s\":" << rate(jsonl, jsonl_s) << ",\"csv_events_per_s\":" << rate(csv, csv_s)
            << ",\"read_merge_decode_events_per_cpu_s\":" << rate(scanned, scan_cpu)
            << ",\"jsonl_events_per_cpu_s\":" << rate(jsonl, jsonl_cpu)
            << ",\"csv_events_per_cpu_s\":" << rate(csv, csv_cpu) << ",\"target_events_per_s\":300000}" << std::endl;
  return jsonl == events && csv == events ? 0 : 1;
}
