#pragma once
// How orderctl's commands that call a running orderd report its answers.
#include <string>

#include "cli/http_get.h"

namespace orderline::cli {

// True for a 2xx answer. Otherwise prints why on stderr, prefixed by `what`: the server's
// problem+json ("404 not_found: no order x"), or the connection error, and returns false.
bool answer_ok(const HttpGetResult& answer, const std::string& what);

}  // namespace orderline::cli
