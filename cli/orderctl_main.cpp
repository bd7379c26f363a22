// orderctl: the operator's and analyst's tool. `events dump|tail|export` read the embedded
// log of a data directory as a RocksDB secondary, so they work beside a running orderd; `top`
// watches a running orderd through its /metrics.
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <iostream>
#include <thread>

#include "cli/projections_command.h"
#include "cli/migrate_command.h"
#include "cli/backup_command.h"
#include "cli/kafka_backup.h"
#include "cli/kafka_config.h"
#include "eventstore/kafka/kafka_url.h"
#include "cli/event_export.h"
#include "cli/export_command.h"
#include "cli/import_command.h"
#include "cli/recs_command.h"
#include "cli/orders_command.h"
#include "cli/http_get.h"
#include "cli/top_command.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/log_reader.h"
#include "orderline/v1/envelope.pb.h"

namespace {

using namespace orderline;

volatile std::sig_atomic_t g_stop = 0;

// One JSON line per event: where it is in the log, its envelope, and its payload. Events of
// restricted streams (credentials, refresh tokens) are never printed: false for those.
bool print_record(const eventstore::LogRecord& record) {
  if (domain::is_restricted_stream(record.key)) return false;
  if (v1::EventEnvelope envelope; envelope.ParseFromString(record.value) && domain::is_restricted_stream(envelope.stream_id())) {
    return false;
  }
  std::string line;
  cli::append_event_json(record, line);
  line += '\n';
  std::cout << line;
  return true;
}

// `orderctl whoami`: who the server takes the token for (GET /api/v1/auth/me).
int whoami(const std::string& url, const std::string& token) {
  auto response = cli::http_get(url + "/api/v1/auth/me", std::chrono::seconds(5), token);
  if (!response.ok) {
    std::cerr << "orderctl: " << response.error << std::endl;
    return 1;
  }
  std::cout << response.body << std::endl;
  return response.status == 200 ? 0 : 1;
}

struct EventsArgs {
  std::string data_dir = "./data";
  int partition = -1;  // -1: all
  std::uint64_t from = 0;
  std::uint64_t limit = 0;  // 0: no limit
};

int events(const EventsArgs& args, bool follow) {
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("orderctl-" + std::to_string(::getpid()));
  eventstore::EmbeddedLogReader reader(args.data_dir + "/log", scratch.string());
  std::vector<std::uint64_t> next(reader.partition_count(), args.from);
  std::uint64_t printed = 0;
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  do {
    reader.catch_up();
    for (std::uint32_t p = 0; p < reader.partition_count(); ++p) {
      if (args.partition >= 0 && static_cast<std::uint32_t>(args.partition) != p) continue;
      next[p] = reader.scan(p, next[p], [&](const eventstore::LogRecord& record) {
        if ((args.limit == 0 || printed < args.limit) && print_record(record)) ++printed;
      });
    }
    std::cout.flush();
    if (follow) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (follow && !g_stop && (args.limit == 0 || printed < args.limit));
  std::filesystem::remove_all(scratch);
  return 0;
}

// The Kafka deployment of `orderctl backup|restore --event-log URL`; nullopt (the reason on
// stderr) when the URL or a --kafka-option is not usable.
std::optional<orderline::eventstore::KafkaLogOptions> kafka_backup_log(const std::string& command,
                                                                      const std::string& url,
                                                                      const std::vector<std::string>& options) {
  if (!orderline::eventstore::is_kafka_url(url)) {
    std::cerr << "orderctl " << command << ": --event-log " << url << ": expected kafka://HOST:PORT?prefix=P" << std::endl;
    return std::nullopt;
  }
  try {
    return orderline::cli::kafka_log_options(url, options);
  } catch (const std::exception& e) {
    std::cerr << "orderctl " << command << ": " << e.what() << std::endl;
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderctl: inspect and operate an Orderline engine"};
  app.require_subcommand(1);
  auto* events_command = app.add_subcommand("events", "Read the event log");
  events_command->require_subcommand(1);
  EventsArgs args;
  auto add_common = [&](CLI::App* command) {
    command->add_option("--data-dir", args.data_dir, "Data directory of orderd")
        ->envname("ORDERLINE_DATA_DIR")
        ->capture_default_str();
    command->add_option("--partition", args.partition, "Only this partition (default: all)");
    command->add_option("--from", args.from, "Start at this offset in each partition");
    command->add_option("--limit", args.limit, "Stop after this many events");
  };
  auto* dump = events_command->add_subcommand("dump", "Print the log as JSON lines, then exit");
  auto* tail = events_command->add_subcommand("tail", "Print the log as JSON lines and follow it");
  add_common(dump);
  add_common(tail);
  cli::ExportArgs export_args;
  auto* export_command = events_command->add_subcommand(
      "export", "Write a range of the log as JSON lines or CSV, for analysts (streamed; progress on stderr)");
  cli::add_export_flags(*export_command, export_args);
  cli::TopArgs top_args;
  auto* top = app.add_subcommand("top", "Live view of a running orderd's throughput, latency, queues and lag (/metrics)");
  top->add_option("--url", top_args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  top->add_option("--interval", top_args.interval_s, "Seconds between refreshes")->check(CLI::PositiveNumber)->capture_default_str();
  top->add_flag("--once", top_args.once, "Print one frame (two scrapes an interval apart) and exit");
  cli::ProjectionsArgs projection_args;
  auto* projections = app.add_subcommand("projections", "See and operate the projections of a running orderd");
  projections->require_subcommand(1);
  projections->fallthrough();  // --url and --token after the operation too
  projections->add_option("--url", projection_args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  projections->add_flag("--json", projection_args.json, "Print the server's JSON");
  auto* projections_list = projections->add_subcommand("list", "Every projection: sink, version, state, lag");
  auto* projections_status = projections->add_subcommand("status", "One projection, per partition");
  auto* projections_rebuild =
      projections->add_subcommand("rebuild", "Build the next version beside the live one, then swap (waits, with progress)");
  projections_rebuild->add_flag("--no-wait", projection_args.no_wait, "Start the rebuild and return");
  projections_rebuild->add_option("--timeout", projection_args.timeout_s, "Stop waiting after this many seconds");
  std::map<std::string, CLI::App*> projection_operations;
  for (const char* op : {"pause", "resume", "reset"}) {
    projection_operations[op] = projections->add_subcommand(
        op, std::string(op) == "reset" ? "Refold the live version in place from the start (queries see it partly built)"
                                       : std::string(op) + " folding events into this projection");
  }
  for (auto* command : {projections_status, projections_rebuild, projection_operations["pause"],
                        projection_operations["resume"], projection_operations["reset"]}) {
    command->add_option("name", projection_args.name, "Projection name (see list)")->required();
  }
  auto* deadletters = app.add_subcommand("deadletters", "Events the projections of a running orderd could not fold");
  deadletters->require_subcommand(1);
  deadletters->fallthrough();
  deadletters->add_option("--url", projection_args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  deadletters->add_flag("--json", projection_args.json, "Print the server's JSON");
  auto* deadletters_list = deadletters->add_subcommand("list", "Parked events, with the error of their last try");
  deadletters_list->add_option("--projection", projection_args.name, "Only this projection's");
  auto* deadletters_retry = deadletters->add_subcommand("retry", "Fold a parked event into its projection now");
  auto* deadletters_skip = deadletters->add_subcommand("skip", "Drop a parked event for good");
  for (auto* command : {deadletters_retry, deadletters_skip}) {
    command->add_option("id", projection_args.name, "Dead letter id (projection:partition:offset, see list)")->required();
  }
  cli::MigrateArgs migrate_args;
  auto* migrate = app.add_subcommand("migrate", "Move an embedded engine's history into Kafka, verified; resumable");
  migrate->add_option("--from", migrate_args.from, "Data directory of the (stopped) embedded engine")->required();
  migrate->add_option("--to", migrate_args.to, "kafka://HOST:PORT[?prefix=P&replication=N]")->required();
  migrate->add_option("--kafka-option", migrate_args.kafka_options, "librdkafka client setting NAME=VALUE (repeatable)");
  migrate->add_option("--state-dir", migrate_args.state_dir, "Directory of the Kafka log's local index (default: temporary)");
  migrate->add_option("--chunk", migrate_args.chunk, "Records per transaction")->check(CLI::Range(1, 100000))->capture_default_str();
  migrate->add_option("--limit", migrate_args.limit, "Records per partition in this run (0: all)")->capture_default_str();
  auto* orders_command = app.add_subcommand("orders", "Read orders from a running orderd");
  orders_command->require_subcommand(1);
  cli::OrdersShowArgs show_args;
  auto* show = orders_command->add_subcommand("show", "One order as JSON, now or --as-of a past time");
  cli::add_orders_show_flags(*show, show_args);
  cli::BackupArgs backup_args;
  auto* backup = app.add_subcommand(
      "backup", "Back up a running orderd (log and read models, consistent), or a Kafka deployment's log (--event-log), into DIR");
  cli::add_backup_flags(*backup, backup_args);
  cli::RestoreArgs restore_args;
  auto* restore = app.add_subcommand(
      "restore", "Make a data directory a copy of a backup, for orderd serve; or fill new Kafka topics from a Kafka backup (--event-log)");
  cli::add_restore_flags(*restore, restore_args);
  auto* import_command = app.add_subcommand("import", "Load history into a running orderd (admin token)");
  import_command->require_subcommand(1);
  cli::ImportArgs import_args;
  auto* import_superstore = import_command->add_subcommand(
      "superstore", "The Superstore sample (scripts/superstore): customers, products, completed orders; idempotent");
  cli::add_import_superstore_flags(*import_superstore, import_args);
  auto* whoami_command = app.add_subcommand("whoami", "Who a running orderd takes the token for (/api/v1/auth/me)");
  std::string whoami_url = "http://127.0.0.1:8080";
  whoami_command->add_option("--url", whoami_url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  // The commands that talk to a server authenticate with a bearer token.
  std::string token;
  std::string token_file;
  // projections and deadletters take it before or after their operation (fallthrough); without
  // --token/ORDERLINE_TOKEN/--token-file they fall back to ORDERLINE_ADMIN_TOKEN as before.
  for (auto* command : {top, whoami_command, projections, deadletters, show, backup, import_superstore}) {
    command->add_option("--token", token, "Bearer token (an access token, or the admin service token)")
        ->envname("ORDERLINE_TOKEN");
    command->add_option("--token-file", token_file, "File whose first line is the bearer token")
        ->envname("ORDERLINE_TOKEN_FILE");
  }
  cli::RecsEvaluateArgs recs_args;
  auto* recs_evaluate = cli::add_recs_command(app, recs_args);
  CLI11_PARSE(app, argc, argv);
  try {
    top_args.token = cli::resolve_token(token, token_file);
    projection_args.token = top_args.token;
    if (projection_args.token.empty()) {
      if (const char* admin = std::getenv("ORDERLINE_ADMIN_TOKEN")) projection_args.token = admin;
    }
    show_args.token = top_args.token;
    // backup: --admin-token / ORDERLINE_ADMIN_TOKEN / DATA_DIR/admin-token, else this token.
    if (backup_args.admin_token.empty()) backup_args.admin_token = top_args.token;
    if (whoami_command->parsed()) return whoami(whoami_url, top_args.token);
    if (migrate->parsed()) return cli::run_migrate(migrate_args);
    if (dump->parsed()) return events(args, false);
    if (tail->parsed()) return events(args, true);
    if (export_command->parsed()) return cli::run_export(export_args);
    if (top->parsed()) return cli::run_top(top_args);
    if (projections_list->parsed()) return cli::projections_list(projection_args);
    if (projections_status->parsed()) return cli::projections_status(projection_args);
    if (projections_rebuild->parsed()) return cli::projections_rebuild(projection_args);
    if (deadletters_list->parsed()) return cli::deadletters_list(projection_args);
    if (deadletters_retry->parsed()) return cli::deadletters_operation(projection_args, "retry");
    if (deadletters_skip->parsed()) return cli::deadletters_operation(projection_args, "skip");
    for (const auto& [op, command] : projection_operations) {
      if (command->parsed()) return cli::projections_operation(projection_args, op);
    }
    if (show->parsed()) return cli::run_orders_show(show_args);
    if (backup->parsed() && !backup_args.event_log.empty()) {
      const auto kafka = kafka_backup_log("backup", backup_args.event_log, backup_args.kafka_options);
      return kafka ? cli::run_kafka_backup(backup_args.dir, *kafka) : 2;
    }
    if (restore->parsed() && !restore_args.event_log.empty()) {
      const auto kafka = kafka_backup_log("restore", restore_args.event_log, restore_args.kafka_options);
      return kafka ? cli::run_kafka_restore(restore_args.dir, *kafka) : 2;
    }
    if (backup->parsed()) return cli::run_backup(backup_args);
    if (restore->parsed()) return cli::run_restore(restore_args);
    if (import_superstore->parsed()) {
      import_args.token = projection_args.token;  // as projections: else ORDERLINE_ADMIN_TOKEN
      return cli::run_import_superstore(import_args);
    }
    if (recs_evaluate->parsed()) return cli::run_recs_evaluate(recs_args);
  } catch (const std::exception& e) {
    std::cerr << "orderctl: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
