#pragma once
// A PostgreSQL array literal ('{"a","b"}', '{1,2}') built element by element. The bulk writes
// pass one array per column to a prepared statement and turn them back into rows with
// unnest(), so a batch of any size is one statement and one round trip per table, with every
// value a bound parameter (nothing is spliced into SQL text).
#include <cstdint>
#include <string>
#include <string_view>

namespace orderline::projections::pg {

class SqlArray {
 public:
  SqlArray() : text_("{") {}
  void add(std::string_view value);  // quoted: any text, including quotes, commas and braces
  void add(std::int64_t value);
  void add(std::uint64_t value) { add(static_cast<std::int64_t>(value)); }
  void add(int value) { add(static_cast<std::int64_t>(value)); }
  void add(std::uint32_t value) { add(static_cast<std::int64_t>(value)); }
  // The literal, for a parameter cast to text[] or bigint[] in the statement.
  std::string str() const { return text_ + "}"; }
  std::size_t size() const { return size_; }

 private:
  void separate() {
    if (size_++) text_ += ',';
  }
  std::string text_;
  std::size_t size_ = 0;
};

}  // namespace orderline::projections::pg
