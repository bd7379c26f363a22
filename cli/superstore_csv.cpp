#include "cli/superstore_csv.h"

#include <array>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace orderline::cli {
namespace {

// The real file is 2.5 MB; a cap keeps a wrong path (a disk image, /dev/zero) from eating memory.
constexpr std::uintmax_t max_file_bytes = 256U << 20U;

// One RFC 4180 record at a time: fields separated by commas, optionally quoted, "" inside
// quotes is one quote, quoted fields may hold commas and line breaks; records end at LF or CRLF.
class CsvRecords {
 public:
  CsvRecords(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  // False at the end of the text. `row` counts records, so it names the header as 0.
  bool next(std::vector<std::string>& fields, std::size_t row) {
    fields.clear();
    if (at_ >= text_.size()) return false;
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      if (quoted) {
        if (c != '"') {
          field += c;
        } else if (at_ < text_.size() && text_[at_] == '"') {
          field += '"';
          ++at_;
        } else {
          quoted = false;
        }
        continue;
      }
      if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && at_ < text_.size() && text_[at_] == '\n') ++at_;
        fields.push_back(std::move(field));
        return true;
      } else if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (was_quoted) {
        throw std::runtime_error(
            fmt::format("{}: row {}, field {}: text after a closing quote", source_, row, fields.size() + 1));
      } else {
        field += c;
      }
    }
    if (quoted) {
      throw std::runtime_error(
          fmt::format("{}: row {}, field {}: a quoted field never ends", source_, row, fields.size() + 1));
    }
    fields.push_back(std::move(field));
    return true;
  }

 private:
  std::string_view text_;
  const std::string& source_;
  std::size_t at_ = 0;
};

// The columns the import and the evaluation use, in SuperstoreLine's order.
enum Column : std::size_t {
  order_id,
  order_date,
  ship_date,
  customer_id,
  customer_name,
  segment,
  product_id,
  category,
  sub_category,
  product_name,
  sales,
  quantity,
  discount,
  column_count
};
constexpr std::array<std::string_view, column_count> column_names = {
    "Order ID",   "Order Date", "Ship Date",    "Customer ID",  "Customer Name", "Segment",  "Product ID",
    "Category", "Sub-Category", "Product Name", "Sales", "Quantity", "Discount"};

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// 2016-11-08, or 11/8/2016 as in the Kaggle edition; a day that does not exist is malformed.
std::optional<std::chrono::sys_days> parse_date(std::string_view text) {
  std::optional<int> y, m, d;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    y = parse_int(text.substr(0, 4));
    m = parse_int(text.substr(5, 2));
    d = parse_int(text.substr(8, 2));
  } else if (const auto slash1 = text.find('/'), slash2 = text.rfind('/');
             slash1 != std::string_view::npos && slash2 != slash1 && slash2 + 5 == text.size()) {
    m = parse_int(text.substr(0, slash1));
    d = parse_int(text.substr(slash1 + 1, slash2 - slash1 - 1));
    y = parse_int(text.substr(slash2 + 1));
  }
  if (!y || !m || !d || *m < 1 || *d < 1) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date};
}

// "957.5775" -> 95758: decimal digits, exactly, rounded half up at the cent (never through a
// double, which would turn 0.125 into 12 or 13 depending on its binary neighbour).
std::optional<std::int64_t> parse_cents(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;  // 12 digits of dollars is far beyond any order line
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;
  std::int64_t cents = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  int digit_value = 10;
  std::int64_t fraction_cents = 0;
  bool round_up = false;
  for (std::size_t i = 0; i < fraction.size(); ++i) {
    const char c = fraction[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (i < 2) {
      fraction_cents += (c - '0') * digit_value;
      digit_value /= 10;
    } else if (i == 2) {
      round_up = c >= '5';
    }
  }
  return cents * 100 + fraction_cents + (round_up ? 1 : 0);
}

std::optional<double> parse_fraction(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (error != std::errc{} || end != text.data() + text.size() || !(value >= 0 && value < 1)) return std::nullopt;
  return value;
}

class LineReader {
 public:
  LineReader(const std::vector<std::string>& header, const std::string& source) : source_(source) {
    for (std::size_t column = 0; column < column_count; ++column) {
      std::size_t found = header.size();
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == column_names[column]) found = i;
      }
      if (found == header.size()) {
        throw std::runtime_error(fmt::format("{}: header: missing column \"{}\"", source_, column_names[column]));
      }
      index_[column] = found;
    }
    header_size_ = header.size();
  }

  SuperstoreLine read(const std::vector<std::string>& fields, std::size_t row) const {
    if (fields.size() != header_size_) {
      throw std::runtime_error(
          fmt::format("{}: row {}: {} fields, the header has {}", source_, row, fields.size(), header_size_));
    }
    SuperstoreLine line;
    line.row = row;
    line.order_id = text(fields, row, order_id);
    line.order_date = date(fields, row, order_date);
    line.ship_date = date(fields, row, ship_date);
    if (line.ship_date < line.order_date) fail(row, ship_date, "before the order date", fields[index_[ship_date]]);
    line.customer_id = text(fields, row, customer_id);
    line.customer_name = text(fields, row, customer_name);
    line.segment = text(fields, row, segment);
    line.product_id = text(fields, row, product_id);
    line.category = text(fields, row, category);
    line.sub_category = text(fields, row, sub_category);
    line.product_name = text(fields, row, product_name);
    const auto cents = parse_cents(fields[index_[sales]]);
    if (!cents) fail(row, sales, "not a non-negative decimal amount", fields[index_[sales]]);
    line.sales_cents = *cents;
    const auto count = parse_int(fields[index_[quantity]]);
    if (!count || *count < 1) fail(row, quantity, "not a whole number >= 1", fields[index_[quantity]]);
    line.quantity = *count;
    const auto off = parse_fraction(fields[index_[discount]]);
    if (!off) fail(row, discount, "not a fraction in [0, 1)", fields[index_[discount]]);
    line.discount = *off;
    return line;
  }

 private:
  [[noreturn]] void fail(std::size_t row, Column column, std::string_view why, std::string_view value) const {
    // Only the start of a long value: the message is for a person reading a terminal.
    throw std::runtime_error(fmt::format("{}: row {}, column \"{}\": {}: \"{}\"", source_, row, column_names[column],
                                         why, value.substr(0, 60)));
  }

  const std::string& text(const std::vector<std::string>& fields, std::size_t row, Column column) const {
    const std::string& value = fields[index_[column]];
    if (value.empty()) fail(row, column, "empty", value);
    return value;
  }

  std::chrono::sys_days date(const std::vector<std::string>& fields, std::size_t row, Column column) const {
    const auto parsed = parse_date(fields[index_[column]]);
    if (!parsed) fail(row, column, "not a date (YYYY-MM-DD)", fields[index_[column]]);
    return *parsed;
  }

  const std::string& source_;
  std::array<std::size_t, column_count> index_{};
  std::size_t header_size_ = 0;
};

}  // namespace

std::vector<SuperstoreLine> parse_superstore_csv(std::string_view text, const std::string& source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  CsvRecords records(text, source);
  std::vector<std::string> fields;
  if (!records.next(fields, 0)) throw std::runtime_error(fmt::format("{}: empty file, no header", source));
  const LineReader reader(fields, source);
  std::vector<SuperstoreLine> lines;
  for (std::size_t row = 1; records.next(fields, row); ++row) {
    if (fields.size() == 1 && fields[0].empty()) {  // a blank line (the usual one at the end)
      --row;
      continue;
    }
    lines.push_back(reader.read(fields, row));
  }
  return lines;
}

std::vector<SuperstoreLine> read_superstore_csv(const std::filesystem::path& csv) {
  const std::string source = csv.filename().string();
  std::error_code error;
  const auto size = std::filesystem::file_size(csv, error);
  if (error) throw std::runtime_error(fmt::format("{}: {}", csv.string(), error.message()));
  if (size > max_file_bytes) {
    throw std::runtime_error(fmt::format("{}: {} bytes, more than the {} a Superstore file can be", csv.string(),
                                         size, max_file_bytes));
  }
  std::ifstream in(csv, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", csv.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_superstore_csv(text.str(), source);
}

}  // namespace orderline::cli
