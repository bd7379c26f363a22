// orderctl: the operator's and analyst's tool. `events dump|tail` read the embedded log of
// a data directory as a RocksDB secondary, so they work beside a running orderd; `top`
// watches a running orderd through its /metrics.
#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/http_get.h"
#include "cli/top_command.h"
#include "domain/aggregate.h"
#include "eventstore/embedded/log_reader.h"
#include "orderline/v1/envelope.pb.h"
#include "orderline/v1/events.pb.h"

namespace {

using namespace orderline;

volatile std::sig_atomic_t g_stop = 0;

// One JSON line per event: where it is in the log, its envelope, and its payload. Events of
// restricted streams (credentials, refresh tokens) are never printed: false for those.
bool print_record(const eventstore::LogRecord& record) {
  v1::EventEnvelope envelope;
  v1::EventPayload payload;
  std::string data = "null";
  const bool parsed = envelope.ParseFromString(record.value);
  if (parsed && domain::is_restricted_stream(envelope.stream_id())) return false;
  if (parsed && payload.ParseFromString(envelope.payload())) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    data.clear();
    (void)google::protobuf::util::MessageToJsonString(payload, &data, options);
  }
  envelope.clear_payload();
  std::string header;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(envelope, &header, options);
  std::cout << R"({"partition":)" << record.partition << R"(,"offset":)" << record.offset
            << R"(,"log_time_us":)" << record.log_time_us << R"(,"envelope":)" << header
            << R"(,"data":)" << data << "}\n";
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
  cli::TopArgs top_args;
  auto* top = app.add_subcommand("top", "Live view of a running orderd's throughput, latency, queues and lag (/metrics)");
  top->add_option("--url", top_args.url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  top->add_option("--interval", top_args.interval_s, "Seconds between refreshes")->check(CLI::PositiveNumber)->capture_default_str();
  top->add_flag("--once", top_args.once, "Print one frame (two scrapes an interval apart) and exit");
  auto* whoami_command = app.add_subcommand("whoami", "Who a running orderd takes the token for (/api/v1/auth/me)");
  std::string whoami_url = "http://127.0.0.1:8080";
  whoami_command->add_option("--url", whoami_url, "The server")->envname("ORDERLINE_URL")->capture_default_str();
  // The commands that talk to a server authenticate with a bearer token.
  std::string token;
  std::string token_file;
  for (auto* command : {top, whoami_command}) {
    command->add_option("--token", token, "Bearer token (an access token, or the admin service token)")
        ->envname("ORDERLINE_TOKEN");
    command->add_option("--token-file", token_file, "File whose first line is the bearer token")
        ->envname("ORDERLINE_TOKEN_FILE");
  }
  CLI11_PARSE(app, argc, argv);
  try {
    top_args.token = cli::resolve_token(token, token_file);
    if (whoami_command->parsed()) return whoami(whoami_url, top_args.token);
    if (dump->parsed()) return events(args, false);
    if (tail->parsed()) return events(args, true);
    if (top->parsed()) return cli::run_top(top_args);
  } catch (const std::exception& e) {
    std::cerr << "orderctl: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
