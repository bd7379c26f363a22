#include "projections/recommendation_queries.h"

#include <rocksdb/db.h>

#include <memory>

#include "projections/counter_row.h"
#include "projections/keys.h"
#include "projections/recommendation_keys.h"

namespace orderline::projections {
namespace {

using namespace recommendations;

// The counts of one version of the projection, read straight from RocksDB (a snapshot per
// query, so one answer never mixes two batches).
class RocksDbCountReader final : public CountReader {
 public:
  RocksDbCountReader(rocksdb::DB& db, std::string prefix) : db_(db), prefix_(std::move(prefix)) {
    options_.snapshot = db_.GetSnapshot();
  }
  ~RocksDbCountReader() override { db_.ReleaseSnapshot(options_.snapshot); }

  std::optional<ItemStats> item(std::string_view sku) const override {
    auto stored = get(recs_keys::item(sku));
    return stored ? recs_keys::decode_item(*stored) : std::nullopt;
  }
  std::vector<Counted> pairs_of(std::string_view sku) const override { return row(recs_keys::pairs(sku)); }
  std::vector<Counted> customer_items(std::string_view customer_id) const override {
    return row(recs_keys::customer_items(customer_id));
  }
  void for_each_item(const std::function<void(const std::string&, const ItemStats&)>& each) const override {
    const std::string start = prefix_ + recs_keys::item_prefix();
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(options_));
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      auto stats = recs_keys::decode_item(it->value().ToStringView());
      if (stats && stats->orders > 0) each(it->key().ToString().substr(start.size()), *stats);
    }
  }
  Totals totals() const override {
    auto stored = get(recs_keys::totals());
    return stored ? recs_keys::decode_totals(*stored) : Totals{};
  }

 private:
  std::optional<std::string> get(const std::string& key) const {
    std::string value;
    if (!db_.Get(options_, prefix_ + key, &value).ok()) return std::nullopt;
    return value;
  }
  // A counter row's columns, by SKU (the read adds up what was merged since the last
  // compaction). A row that does not decode reads as none, as an undecodable item does: the
  // projection's fold is what refuses bad values (it parks the event).
  std::vector<Counted> row(const std::string& key) const {
    auto stored = get(key);
    auto row = stored ? decode_row(*stored) : std::nullopt;
    if (!row) return {};
    return {row->begin(), row->end()};
  }

  rocksdb::DB& db_;
  const std::string prefix_;
  rocksdb::ReadOptions options_;
};

constexpr const char* kProjection = "recommendations";

}  // namespace

RecommendationQueries::RecommendationQueries(ReadModelStore& store, RecommendationQueryOptions options)
    : store_(store), options_(options), cache_(options.cached_items) {}

std::vector<Recommendation> RecommendationQueries::related(std::string_view sku, std::size_t limit) const {
  const int version = store_.active_version(kProjection);
  RocksDbCountReader counts(store_.db(), keys::version_prefix(kProjection, version));
  return Recommender(counts, options_.model, &cache_, static_cast<std::uint64_t>(version)).related(sku, limit);
}

std::vector<Recommendation> RecommendationQueries::for_customer(std::string_view customer_id,
                                                                std::size_t limit) const {
  const int version = store_.active_version(kProjection);
  RocksDbCountReader counts(store_.db(), keys::version_prefix(kProjection, version));
  return Recommender(counts, options_.model, &cache_, static_cast<std::uint64_t>(version))
      .for_customer(customer_id, limit);
}

bool RecommendationQueries::has_history(std::string_view customer_id) const {
  const int version = store_.active_version(kProjection);
  RocksDbCountReader counts(store_.db(), keys::version_prefix(kProjection, version));
  return !counts.customer_items(customer_id).empty();
}

}  // namespace orderline::projections
