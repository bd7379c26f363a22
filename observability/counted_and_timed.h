#pragma once
// A counter and a histogram of one event (a request, a command reply), found together by one
// SeriesCache lookup on the counter's labels; the histogram's labels are a prefix of them, so
// several entries share one histogram (Family::Add returns the one already made).
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

namespace orderline::observability {

struct CountedAndTimed {
  prometheus::Counter* count;
  prometheus::Histogram* duration;
};

}  // namespace orderline::observability
