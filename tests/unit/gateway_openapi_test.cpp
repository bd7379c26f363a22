// docs/openapi.yaml describes exactly the routes the gateway serves: every (method, path) of
// the router's table is under `paths:`, and every operation there is in the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "gateway/routes.h"

#ifndef ORDERLINE_SOURCE_DIR
#error "ORDERLINE_SOURCE_DIR must point at the source tree"
#endif

namespace orderline::gateway {
namespace {

using Operation = std::pair<std::string, std::string>;  // (METHOD, path template)

std::size_t indent_of(const std::string& line) { return line.find_first_not_of(' '); }

// A line-based scan of `paths:`: paths are keys indented by 2, methods keys indented by 4.
std::set<Operation> openapi_operations(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot open " << file;
  std::set<Operation> out;
  std::string line;
  bool in_paths = false;
  std::string path;
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};
  while (std::getline(in, line)) {
    if (line.empty() || line.find_first_not_of(' ') == std::string::npos) continue;
    const auto indent = indent_of(line);
    if (line[indent] == '#') continue;
    if (indent == 0) {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    const auto colon = line.find(':', indent);
    if (colon == std::string::npos) continue;
    std::string key = line.substr(indent, colon - indent);
    if (indent == 2) {
      path = key;
    } else if (indent == 4 && kMethods.count(key)) {
      for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(key, path);
    }
  }
  return out;
}

TEST(GatewayOpenApi, DescribesEveryRouteAndNothingElse) {
  const auto documented = openapi_operations(std::string(ORDERLINE_SOURCE_DIR) + "/docs/openapi.yaml");
  std::set<Operation> served;
  for (const auto& r : route_table()) served.emplace(std::string(r.method), std::string(r.path));
  ASSERT_FALSE(served.empty());
  for (const auto& op : served) {
    EXPECT_TRUE(documented.count(op)) << op.first << " " << op.second << " is served but not in docs/openapi.yaml";
  }
  for (const auto& op : documented) {
    EXPECT_TRUE(served.count(op)) << op.first << " " << op.second << " is in docs/openapi.yaml but not served";
  }
}

TEST(GatewayOpenApi, PathParametersAreNamedAlike) {
  // A template's {names} must be the names used in the file's path keys (same text).
  const auto documented = openapi_operations(std::string(ORDERLINE_SOURCE_DIR) + "/docs/openapi.yaml");
  for (const auto& [method, path] : documented) {
    EXPECT_EQ(path.front(), '/') << path;
    EXPECT_EQ(std::count(path.begin(), path.end(), '{'), std::count(path.begin(), path.end(), '}')) << path;
  }
}

}  // namespace
}  // namespace orderline::gateway
