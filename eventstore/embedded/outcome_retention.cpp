#include "eventstore/embedded/outcome_retention.h"

#include <rocksdb/compaction_filter.h>

#include "orderline/v1/commands.pb.h"

namespace orderline::eventstore {
namespace {

class OutcomeRetentionFilter final : public rocksdb::CompactionFilter {
 public:
  OutcomeRetentionFilter(std::chrono::seconds retention, std::function<std::int64_t()> now_us)
      : retention_us_(std::chrono::duration_cast<std::chrono::microseconds>(retention).count()),
        now_us_(std::move(now_us)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    v1::CommandOutcome outcome;
    // An outcome that does not parse is kept: dropping what we cannot read is not retention.
    if (!outcome.ParseFromArray(value.data(), static_cast<int>(value.size()))) return false;
    const std::int64_t recorded = outcome.recorded_at_us();
    return recorded != 0 && recorded < now_us_() - retention_us_;
  }

  const char* Name() const override { return "orderline.OutcomeRetention"; }

 private:
  std::int64_t retention_us_;
  std::function<std::int64_t()> now_us_;
};

}  // namespace

std::unique_ptr<rocksdb::CompactionFilter> make_outcome_retention_filter(std::chrono::seconds retention,
                                                                          std::function<std::int64_t()> now_us) {
  return std::make_unique<OutcomeRetentionFilter>(retention, std::move(now_us));
}

}  // namespace orderline::eventstore
