#pragma once
// `orderctl events export`: flags and the run of an export (see event_export.h for what it
// writes). Offline: reads the data directory's log as a RocksDB secondary, beside a running
// orderd or without one; or, given --event-log kafka://..., the deployment's events topic
// through a read_committed consumer of its own (eventstore/kafka/kafka_history_reader.h).
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace orderline::cli {

struct ExportArgs {
  std::string data_dir = "./data";
  std::string event_log;                   // kafka://HOST:PORT[?prefix=P]: read Kafka instead of data_dir
  std::vector<std::string> kafka_options;  // librdkafka settings NAME=VALUE (TLS, SASL)
  std::string from;                // RFC 3339 time or position token; empty: the log's start
  std::string to;                  // likewise; empty: the log's end when the export starts
  std::vector<std::string> types;  // event types to keep (repeatable); none: all
  std::string stream;              // only this stream
  std::string format = "jsonl";    // jsonl | csv
  std::string out;                 // file to write (via FILE.partial, renamed when complete); empty: stdout
  bool progress = false;           // progress on stderr even when it is not a terminal
};

void add_export_flags(CLI::App& command, ExportArgs& args);

// The process exit status: 0 done, 2 bad arguments (no log in the data directory, no events
// topic with that prefix), 1 anything else (Kafka unreachable, a read or write error), with a
// message on stderr.
int run_export(const ExportArgs& args);

}  // namespace orderline::cli
