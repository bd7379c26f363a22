#pragma once
// A counter row: named signed counters held in one RocksDB value and changed by adding another
// row to it (a RocksDB merge), never by reading it first. A projection that keeps many counts
// per owner (recommendations: per item, the orders holding it together with each other item)
// writes one merge per owner and event instead of a read and a write per counter; RocksDB adds
// the rows up when it reads, flushes or compacts them (counter_row_merge_operator()).
//
// A sum is canonical: columns sorted, a column that reaches 0 disappears. So a row's bytes
// depend only on the multiset of rows added to it, never on the order they were added in (a
// rebuild equals the live store byte for byte). A row whose columns all cancel stays, empty.
//
//   add_rows(encode_row({{"MUG", 1}, {"TEA", 1}}), encode_row({{"MUG", -1}}))
//     == encode_row({{"TEA", 1}})
//
// Layout: a format byte (1), then per column, by column: its length (4), its bytes, its count
// (8, two's complement), integers big-endian.
#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace orderline::projections {

using CounterRow = std::map<std::string, std::int64_t, std::less<>>;

std::string encode_row(const CounterRow& row);
// nullopt when the value is not a counter row.
std::optional<CounterRow> decode_row(std::string_view value);
// The encoded sum of an existing row (nullopt: none yet) and `delta`; nullopt when either does
// not decode.
std::optional<std::string> add_rows(std::optional<std::string_view> existing, std::string_view delta);

// The read models' merge operator (ReadModelStore): a merge operand is a counter row, added to
// the row before it. A value that does not decode fails the read (Status::Corruption) instead
// of being overwritten.
std::shared_ptr<rocksdb::MergeOperator> counter_row_merge_operator();

}  // namespace orderline::projections
