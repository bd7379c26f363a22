#include "projections/postgres/sql_array.h"

namespace orderline::projections::pg {

void SqlArray::add(std::string_view value) {
  separate();
  text_ += '"';
  for (char c : value) {
    // Inside a quoted array element only the quote and the backslash are special.
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void SqlArray::add(std::int64_t value) {
  separate();
  text_ += std::to_string(value);
}

}  // namespace orderline::projections::pg
