#include "cli/projections_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/http_get.h"
#include "cli/progress_bar.h"

namespace orderline::cli {
namespace {
namespace json = boost::json;

constexpr std::chrono::seconds kRequestTimeout{10};

struct Answer {
  int exit_code = 0;  // 0: 2xx with a JSON body in `body`
  json::value body;
};

// One request; prints why on failure.
Answer call(const ProjectionsArgs& args, const std::string& method, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!args.token.empty()) headers.emplace_back("Authorization", "Bearer " + args.token);
  const auto result = http_request(method, args.url + path, "", headers, kRequestTimeout);
  if (!result.ok) {
    std::cerr << "orderctl: cannot reach " << args.url << ": " << result.error << "\n";
    return {2, {}};
  }
  boost::system::error_code ec;
  auto body = json::parse(result.body, ec);
  if (result.status < 200 || result.status >= 300) {
    std::string detail = result.body;
    if (!ec && body.is_object() && body.as_object().contains("detail")) {
      detail = json::value_to<std::string>(body.at("detail"));
    }
    std::cerr << "orderctl: " << method << " " << path << ": " << result.status << " " << detail << "\n";
    if (result.status == 401 || result.status == 403) {
      std::cerr << "orderctl: staff routes need a token: --token or ORDERLINE_ADMIN_TOKEN\n";
    }
    return {1, {}};
  }
  if (ec) {
    std::cerr << "orderctl: the server's answer is not JSON: " << ec.message() << "\n";
    return {1, {}};
  }
  return {0, std::move(body)};
}

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

double number(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return 0;
}

std::string duration(double seconds) {
  if (seconds < 0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

void print_table(const json::array& items) {
  std::cout << fmt::format("{:<18} {:<9} {:>7} {:<11} {:>12} {:>9}  {}\n", "NAME", "SINK", "VERSION", "STATE",
                           "LAG EVENTS", "LAG SECS", "REBUILD");
  for (const auto& item : items) {
    const auto& o = item.as_object();
    std::string rebuild = "-";
    if (o.at("rebuild").is_object()) {
      const auto& r = o.at("rebuild").as_object();
      rebuild = fmt::format("v{} {} {:.0f}/{:.0f}", number(r.at("target_version")), text(r.at("state")),
                            number(r.at("folded")), number(r.at("total")));
    }
    std::cout << fmt::format("{:<18} {:<9} {:>7} {:<11} {:>12} {:>9.1f}  {}\n", text(o.at("name")), text(o.at("sink")),
                             text(o.at("version")), text(o.at("state")), text(o.at("lag_events")),
                             number(o.at("lag_seconds")), rebuild);
  }
}

// "[#########...........]  45.1%  123,456/273,000 events  52,311 ev/s  ETA 3s"
std::string progress_line(const json::object& rebuild) {
  const double folded = number(rebuild.at("folded")), total = number(rebuild.at("total"));
  const auto eta = rebuild.at("eta_seconds").is_null() ? -1.0 : number(rebuild.at("eta_seconds"));
  return fmt::format("{}  {:.0f}/{:.0f} events  {:.0f} ev/s  ETA {}  ({})", progress_bar(total > 0 ? folded / total : 0),
                     folded, total, number(rebuild.at("events_per_second")), duration(eta), text(rebuild.at("state")));
}

// The RocksDB entry of the projection in a GET .../projections/{name} answer.
const json::object* rocksdb_entry(const json::value& body) {
  for (const auto& item : body.at("items").as_array()) {
    if (item.at("sink") == "rocksdb") return &item.as_object();
  }
  return nullptr;
}

}  // namespace

int projections_list(const ProjectionsArgs& args) {
  auto answer = call(args, "GET", "/api/v1/admin/projections");
  if (answer.exit_code != 0) return answer.exit_code;
  if (args.json) {
    std::cout << json::serialize(answer.body) << "\n";
  } else {
    print_table(answer.body.at("items").as_array());
  }
  return 0;
}

int projections_status(const ProjectionsArgs& args) {
  auto answer = call(args, "GET", "/api/v1/admin/projections/" + args.name);
  if (answer.exit_code != 0) return answer.exit_code;
  if (args.json) {
    std::cout << json::serialize(answer.body) << "\n";
    return 0;
  }
  const auto& items = answer.body.at("items").as_array();
  print_table(items);
  for (const auto& item : items) {
    const auto& o = item.as_object();
    std::cout << fmt::format("\n{} ({}) per partition:\n{:>9} {:>14} {:>14} {:>12}\n", text(o.at("name")),
                             text(o.at("sink")), "PARTITION", "CHECKPOINT", "LOG END", "LAG");
    const auto& checkpoints = o.at("checkpoints").as_array();
    const auto& ends = o.at("log_ends").as_array();
    for (std::size_t p = 0; p < checkpoints.size() && p < ends.size(); ++p) {
      const double cp = number(checkpoints[p]), end = number(ends[p]);
      std::cout << fmt::format("{:>9} {:>14.0f} {:>14.0f} {:>12.0f}\n", p, cp, end, end > cp ? end - cp : 0);
    }
    if (o.at("rebuild").is_object()) {
      const auto& r = o.at("rebuild").as_object();
      std::cout << "last rebuild: " << progress_line(r) << ", started " << text(r.at("started_at"));
      if (!r.at("error").is_null()) std::cout << ", error: " << text(r.at("error"));
      std::cout << "\n";
    }
  }
  return 0;
}

int projections_rebuild(const ProjectionsArgs& args) {
  auto started = call(args, "POST", "/api/v1/admin/projections/" + args.name + "/rebuild");
  if (started.exit_code != 0) return started.exit_code;
  const auto target = started.body.at("rebuild").at("target_version");
  std::cerr << "rebuilding " << args.name << " to version " << text(target) << " beside the live one\n";
  if (args.no_wait) return 0;

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const auto began = std::chrono::steady_clock::now();
  ProgressPrinter progress;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto answer = call(args, "GET", "/api/v1/admin/projections/" + args.name);
    if (answer.exit_code != 0) return answer.exit_code;
    const auto* entry = rocksdb_entry(answer.body);
    if (!entry || !entry->at("rebuild").is_object()) {
      std::cerr << "orderctl: the server no longer reports this rebuild\n";
      return 1;
    }
    const auto& rebuild = entry->at("rebuild").as_object();
    const auto state = text(rebuild.at("state"));
    const auto now = std::chrono::steady_clock::now();
    const bool finished = state == "done" || state == "failed" || state == "cancelled";
    progress.show(progress_line(rebuild), finished);
    if (finished) {
      if (state == "done") {
        std::cerr << args.name << ": version " << text(target) << " is live; the old version was dropped\n";
        return 0;
      }
      std::cerr << "orderctl: rebuild " << state << ": " << text(rebuild.at("error")) << "\n";
      return 1;
    }
    if (args.timeout_s > 0 && now - began > std::chrono::duration<double>(args.timeout_s)) {
      std::cerr << (tty ? "\n" : "") << "orderctl: still rebuilding after " << args.timeout_s
                << " s; it goes on in the server (orderctl projections status " << args.name << ")\n";
      return 1;
    }
  }
}

int projections_operation(const ProjectionsArgs& args, const std::string& operation) {
  auto answer = call(args, "POST", "/api/v1/admin/projections/" + args.name + "/" + operation);
  if (answer.exit_code != 0) return answer.exit_code;
  if (args.json) {
    std::cout << json::serialize(answer.body) << "\n";
  } else {
    std::cout << args.name << ": " << text(answer.body.at("state")) << " (version " << text(answer.body.at("version"))
              << ")\n";
  }
  return 0;
}

int deadletters_list(const ProjectionsArgs& args) {
  std::string path = "/api/v1/admin/deadletters?limit=200";
  if (!args.name.empty()) path += "&projection=" + args.name;
  auto answer = call(args, "GET", path);
  if (answer.exit_code != 0) return answer.exit_code;
  if (args.json) {
    std::cout << json::serialize(answer.body) << "\n";
    return 0;
  }
  const auto& items = answer.body.at("items").as_array();
  if (items.empty()) {
    std::cout << "no dead letters\n";
    return 0;
  }
  std::cout << fmt::format("{:<34} {:<26} {:<22} {:>8}  {}\n", "ID", "STREAM", "TYPE", "ATTEMPTS", "ERROR");
  for (const auto& item : items) {
    const auto& o = item.as_object();
    std::cout << fmt::format("{:<34} {:<26} {:<22} {:>8}  {}\n", text(o.at("id")), text(o.at("stream_id")),
                             text(o.at("event_type")), text(o.at("attempts")), text(o.at("error")));
  }
  return 0;
}

int deadletters_operation(const ProjectionsArgs& args, const std::string& operation) {
  auto answer = call(args, "POST", "/api/v1/admin/deadletters/" + args.name + "/" + operation);
  if (answer.exit_code != 0) return answer.exit_code;
  std::cout << args.name << ": " << text(answer.body.at("state")) << "\n";
  return 0;
}

}  // namespace orderline::cli
