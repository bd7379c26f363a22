#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/event_export.h"
#include "cli/kafka_config.h"
#include "domain/restricted_streams.h"
#include "eventstore/embedded/log_reader.h"
#include "eventstore/kafka/kafka_history_reader.h"
#include "eventstore/kafka/kafka_url.h"

namespace orderline::cli {
namespace {

// The secondary instance's own directory (its info log), removed when the export ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "orderctl-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a scratch directory in /tmp");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::optional<ExportBound> bound_flag(const std::string& name, const std::string& text) {
  if (text.empty()) return ExportBound{};
  auto bound = parse_export_bound(text);
  if (!bound) {
    std::cerr << "orderctl: " << name << " " << text
              << ": not an RFC 3339 time (2026-11-29T10:15:30Z, 2026-11-29) or a position token" << std::endl;
  }
  return bound;
}

}  // namespace

void add_export_flags(CLI::App& command, ExportArgs& args) {
  command.add_option("--data-dir", args.data_dir, "Data directory of orderd")
      ->envname("ORDERLINE_DATA_DIR")
      ->capture_default_str();
  command.add_option("--event-log", args.event_log,
                     "Read a Kafka deployment's events instead: kafka://HOST:PORT[?prefix=P] (as orderd takes it)")
      ->envname("ORDERLINE_EVENT_LOG");
  command.add_option("--kafka-option", args.kafka_options,
                     "librdkafka client setting NAME=VALUE for --event-log kafka:// (TLS, SASL; repeatable)");
  command.add_option("--from", args.from, "Start: RFC 3339 log time (inclusive) or position token; default: the start");
  command.add_option("--to", args.to, "End: RFC 3339 log time or position token (exclusive); default: the end now");
  command.add_option("--type", args.types, "Only events of this type (repeatable), e.g. OrderPlaced");
  command.add_option("--stream", args.stream, "Only this stream, e.g. order-<id>");
  command.add_option("--format", args.format, "Output format")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  command.add_option("--out", args.out, "Write to this file instead of stdout");
  command.add_flag("--progress", args.progress, "Progress on stderr even when it is not a terminal");
}

int run_export(const ExportArgs& args) {
  ExportOptions options;
  auto from = bound_flag("--from", args.from);
  auto to = bound_flag("--to", args.to);
  if (!from || !to) return 2;
  options.from = std::move(*from);
  options.to = std::move(*to);
  options.types = args.types;
  options.stream = args.stream;
  options.format = args.format == "csv" ? ExportFormat::csv : ExportFormat::jsonl;
  if (!args.stream.empty() && domain::is_restricted_stream(args.stream)) {
    std::cerr << "orderctl: stream " << args.stream << " is restricted: credentials are never exported" << std::endl;
    return 2;
  }
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  if (args.progress || tty) {
    // On a terminal one line redrawn in place; elsewhere (a log file) a line per report.
    options.on_progress = [tty](const ExportProgress& progress) {
      const auto line = progress_line(progress);
      if (tty) std::cerr << "\r" << line << "\x1b[K" << (progress.done ? "\n" : "") << std::flush;
      else std::cerr << line << "\n" << std::flush;
    };
  }

  // The log to read: Kafka's events topic, or the data directory's embedded log.
  std::optional<ScratchDir> scratch;
  std::unique_ptr<eventstore::HistoryReader> reader;
  if (!args.event_log.empty()) {
    if (!eventstore::is_kafka_url(args.event_log)) {
      std::cerr << "orderctl: --event-log " << args.event_log << ": expected kafka://HOST:PORT[?prefix=P]" << std::endl;
      return 2;
    }
    eventstore::KafkaLogOptions kafka;
    try {
      kafka = kafka_log_options(args.event_log, args.kafka_options);
    } catch (const std::exception& e) {  // a bad URL or --kafka-option
      std::cerr << "orderctl: " << e.what() << std::endl;
      return 2;
    }
    try {
      reader = std::make_unique<eventstore::KafkaHistoryReader>(
          eventstore::KafkaHistoryOptions{kafka.brokers, kafka.topic_prefix, kafka.client_config});
    } catch (const std::invalid_argument& e) {  // no such topic, a client setting librdkafka refuses
      std::cerr << "orderctl: " << e.what() << std::endl;
      return 2;
    } catch (const std::exception& e) {  // the cluster does not answer
      std::cerr << "orderctl: " << e.what() << std::endl;
      return 1;
    }
  } else {
    if (!std::filesystem::exists(args.data_dir + "/log")) {
      std::cerr << "orderctl: no event log in " << args.data_dir << " (expected " << args.data_dir << "/log)" << std::endl;
      return 2;
    }
    scratch.emplace();
    auto embedded = std::make_unique<eventstore::EmbeddedLogReader>(args.data_dir + "/log", scratch->path());
    embedded->catch_up();
    reader = std::move(embedded);
  }

  if (args.out.empty()) {
    export_events(*reader, options, stdout);
    return 0;
  }
  // A file appears under its name only once complete: an interrupted export leaves FILE.partial.
  const std::string partial = args.out + ".partial";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(partial.c_str(), "wb"), &std::fclose);
  if (!file) {
    std::cerr << "orderctl: cannot write " << partial << ": " << std::strerror(errno) << std::endl;
    return 1;
  }
  export_events(*reader, options, file.get());
  if (std::fclose(file.release()) != 0) throw std::runtime_error("cannot write " + partial);
  std::filesystem::rename(partial, args.out);
  return 0;
}

}  // namespace orderline::cli
