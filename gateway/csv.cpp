#include "gateway/csv.h"

namespace orderline::gateway {

std::string csv_field(std::string_view value) {
  std::string text;
  append_csv_field(value, text);
  return text;
}

void append_csv_field(std::string_view value, std::string& out) {
  const bool formula = !value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                                          value.front() == '@' || value.front() == '\t' || value.front() == '\r');
  // The ' added for a formula is none of these, so the value alone decides the quoting.
  // One pass (string_view::find_first_of searches the set once per character).
  bool quoted = false;
  for (const char c : value) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      quoted = true;
      break;
    }
  }
  if (quoted) out += '"';
  if (formula) out += '\'';
  if (!quoted) {
    out += value;
    return;
  }
  std::size_t run = 0;  // start of the part not yet copied
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '"') continue;
    out.append(value.data() + run, i + 1 - run);
    out += '"';  // doubled
    run = i + 1;
  }
  out.append(value.data() + run, value.size() - run);
  out += '"';
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string row;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) row += ',';
    append_csv_field(fields[i], row);
  }
  row += "\r\n";
  return row;
}

}  // namespace orderline::gateway
