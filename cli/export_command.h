#pragma once
// `orderctl events export`: flags and the run of an export (see event_export.h for what it
// writes). Offline: reads the data directory's log as a RocksDB secondary, beside a running
// orderd or without one.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace orderline::cli {

struct ExportArgs {
  std::string data_dir = "./data";
  std::string from;                // RFC 3339 time or position token; empty: the log's start
  std::string to;                  // likewise; empty: the log's end when the export starts
  std::vector<std::string> types;  // event types to keep (repeatable); none: all
  std::string stream;              // only this stream
  std::string format = "jsonl";    // jsonl | csv
  std::string out;                 // file to write (via FILE.partial, renamed when complete); empty: stdout
  bool progress = false;           // progress on stderr even when it is not a terminal
};

void add_export_flags(CLI::App& command, ExportArgs& args);

// The process exit status: 0 done, 2 bad arguments, 1 anything else (with a message on stderr).
int run_export(const ExportArgs& args);

}  // namespace orderline::cli
