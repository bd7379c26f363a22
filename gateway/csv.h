#pragma once
// CSV (RFC 4180) for exports that analysts open in spreadsheets.
#include <string>
#include <string_view>
#include <vector>

namespace orderline::gateway {

// One field: quoted when it holds a comma, quote, CR or LF (quotes doubled). A field that a
// spreadsheet would run as a formula (it starts with = + - @, tab or CR) gets a leading ' so
// that a hostile customer id cannot become code on an analyst's machine (CSV injection).
std::string csv_field(std::string_view value);
// The same field appended to `out` (no string of its own: exports write millions of them).
void append_csv_field(std::string_view value, std::string& out);

// Fields joined by commas, ended by CRLF.
std::string csv_row(const std::vector<std::string>& fields);

}  // namespace orderline::gateway
