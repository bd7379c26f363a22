#pragma once
// `orderctl projections list|status|rebuild|pause|resume|reset`: the projection registry of a
// running orderd, over its staff API (GET /api/v1/admin/projections, POST .../{name}/{op}).
// `rebuild` waits for the swap, drawing a progress bar with rate and ETA on stderr. Also
// `orderctl deadletters`: the events projections parked (GET /api/v1/admin/deadletters).
#include <string>

namespace orderline::cli {

struct ProjectionsArgs {
  std::string url = "http://127.0.0.1:8080";  // the server
  std::string token;                          // staff token (ORDERLINE_ADMIN_TOKEN)
  std::string name;                           // projection, for all but list
  bool json = false;                          // print the server's JSON instead of a table
  bool no_wait = false;                       // rebuild: start it and return
  double timeout_s = 0;                       // rebuild: give up waiting after this (0: never)
};

// Each returns the process exit status: 0 on success, 1 when the server refused or failed
// (the problem's detail is printed), 2 when it could not be reached.
int projections_list(const ProjectionsArgs& args);
int projections_status(const ProjectionsArgs& args);
int projections_rebuild(const ProjectionsArgs& args);
// pause, resume or reset.
int projections_operation(const ProjectionsArgs& args, const std::string& operation);

// `orderctl deadletters list [--projection P] | retry ID | skip ID` (args.name: the projection
// filter for list, the dead letter id "projection:partition:offset" for retry and skip).
int deadletters_list(const ProjectionsArgs& args);
int deadletters_operation(const ProjectionsArgs& args, const std::string& operation);

}  // namespace orderline::cli
