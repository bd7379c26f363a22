#include "eventstore/embedded/merged_cursor.h"

namespace orderline::eventstore {

bool MergedCursor::Later::operator()(std::size_t a, std::size_t b) const {
  const auto& x = (*heads)[a];
  const auto& y = (*heads)[b];
  if (x.log_time_us != y.log_time_us) return x.log_time_us > y.log_time_us;
  if (x.partition != y.partition) return x.partition > y.partition;
  return x.offset > y.offset;
}

MergedCursor::MergedCursor(const HistoryReader& reader, const std::vector<Range>& ranges)
    : cursors_(reader.open_ranges(ranges)), heads_(ranges.size()), queue_(Later{&heads_}) {
  for (std::size_t i = 0; i < cursors_.size(); ++i) {
    if (cursors_[i]->next(heads_[i])) queue_.push(i);
  }
}

const LogRecord* MergedCursor::next() {
  // The record handed out last is done with: its cursor moves on only now, so the caller
  // could read it in place until this call.
  if (current_ != SIZE_MAX && cursors_[current_]->next(heads_[current_])) queue_.push(current_);
  current_ = SIZE_MAX;
  if (queue_.empty()) return nullptr;
  current_ = queue_.top();
  queue_.pop();
  return &heads_[current_];
}

}  // namespace orderline::eventstore
