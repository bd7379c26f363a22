#pragma once
// The RocksDB instance of the read models (never the one holding the embedded log, so a
// read-side stall cannot delay an acknowledgement), and the queries served from it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "projections/position_waiters.h"
#include "projections/read_models.h"

namespace rocksdb {
class DB;
}

namespace orderline::projections {

struct ReadModelStoreOptions {
  std::string path;
  std::uint32_t partitions = 8;
  std::size_t block_cache_bytes = 64 << 20;
};

class ReadModelStore final : public ReadModels {
 public:
  explicit ReadModelStore(ReadModelStoreOptions options);  // throws when it cannot open
  ~ReadModelStore() override;

  std::optional<v1::OrderView> order(std::string_view order_id) const override;
  std::optional<Page<v1::OrderView>> customer_orders(std::string_view customer_id, std::size_t limit,
                                                     std::string_view cursor) const override;
  std::optional<v1::ProductView> product(std::string_view sku) const override;
  std::optional<Page<v1::ProductView>> products(std::size_t limit, std::string_view cursor) const override;
  bool customer_exists(std::string_view customer_id) const override;
  bool session_revoked(std::string_view account_key, std::string_view family_id) const override;
  std::int64_t account_revoked_before_s(std::string_view account_key) const override;
  eventstore::PositionVector checkpoints() const override;
  bool reached(const eventstore::PositionVector& position) const override;
  std::uint64_t when_reached(const eventstore::PositionVector& position,
                             std::function<void()> ready) const override;
  void cancel_wait(std::uint64_t ticket) const override;

  // For the projector runtime.
  rocksdb::DB& db() { return *db_; }
  std::uint32_t partitions() const { return partitions_; }
  std::uint64_t stored_checkpoint(const std::string& projection, std::uint32_t partition, int version = 1) const;

  // Versions (keys.h): the version queries read, persisted under meta/active/<projection>.
  int active_version(const std::string& projection) const;
  // Makes `version` the one queries read, durably (a synced write), at once for new queries.
  void set_active_version(const std::string& projection, int version);
  // The Projection::format() a version of a projection was written in (absent: 1), and its
  // durable record (a synced write).
  int stored_format(const std::string& projection, int version) const;
  void set_format(const std::string& projection, int version, int format);
  // Deletes every key of one version of a projection, its checkpoints included: the ranges
  // under its version prefix, or (version 1) its key_prefixes and "cp/<projection>/".
  void drop_version(const std::string& projection, int version, const std::vector<std::string>& key_prefixes);
  // Publishes how far every projection has folded a partition (after the batch is written).
  void publish(std::uint32_t partition, std::uint64_t next_offset);
  // Blocks until partition's published checkpoint reaches offset or the timeout passes.
  bool wait_for(const eventstore::PositionVector& position, std::chrono::milliseconds timeout) const;

 private:
  std::optional<std::string> get(const std::string& key) const;
  // The key as the live version of `projection` stores it.
  std::string live(const std::string& projection, std::string_view key) const;
  std::atomic<int>* live_slot(const std::string& projection) const;

  std::uint32_t partitions_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> applied_;
  mutable std::mutex mutex_;
  mutable std::condition_variable advanced_;
  // Live versions of the projections the queries read (read on every query: atomics, no lock).
  mutable std::atomic<int> order_details_version_{1}, customer_orders_version_{1}, catalogue_version_{1},
      customers_version_{1}, revocations_version_{1};
  mutable PositionWaiters waiters_;
};

}  // namespace orderline::projections
