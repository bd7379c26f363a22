#pragma once
// `orderctl top`: a live terminal view of a running orderd, read from its /metrics over HTTP
// and redrawn every interval (see top_view.h for what it shows). Ctrl-C ends it.
#include <string>

namespace orderline::cli {

struct TopArgs {
  std::string url = "http://127.0.0.1:8080";  // the server; "/metrics" is appended
  double interval_s = 1.0;                     // between scrapes, and so between frames
  bool once = false;  // print one frame (two scrapes an interval apart) and exit, no screen control
  std::string token;  // bearer token sent with every request (see resolve_token)
};

// The token of --token / ORDERLINE_TOKEN, else the first line of --token-file /
// ORDERLINE_TOKEN_FILE, else none. Throws std::runtime_error when the file cannot be read.
std::string resolve_token(const std::string& token, const std::string& token_file);

// Returns the process exit status: 0 after Ctrl-C or a --once frame; 1 when --once cannot
// read the metrics (a live view keeps retrying and says why on screen).
int run_top(const TopArgs& args);

}  // namespace orderline::cli
