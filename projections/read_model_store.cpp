#include "projections/read_model_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <stdexcept>

#include "eventstore/base64url.h"
#include "projections/keys.h"

namespace orderline::projections {

ReadModelStore::ReadModelStore(ReadModelStoreOptions options)
    : partitions_(options.partitions),
      applied_(std::make_unique<std::atomic<std::uint64_t>[]>(options.partitions)),
      waiters_(options.partitions) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  db_options.write_buffer_size = 32 << 20;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  db_options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options, options.path, &raw);
  if (!status.ok()) throw std::runtime_error("cannot open read models at " + options.path + ": " + status.ToString());
  db_.reset(raw);
  for (std::uint32_t p = 0; p < partitions_; ++p) applied_[p].store(0);
}

ReadModelStore::~ReadModelStore() {
  if (db_) db_->Close();
}

std::optional<std::string> ReadModelStore::get(const std::string& key) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (!status.ok()) return std::nullopt;
  return value;
}

std::optional<v1::OrderView> ReadModelStore::order(std::string_view order_id) const {
  auto stored = get(keys::order(order_id));
  v1::OrderView view;
  if (!stored || !view.ParseFromString(*stored)) return std::nullopt;
  return view;
}

std::optional<v1::ProductView> ReadModelStore::product(std::string_view sku) const {
  auto stored = get(keys::product(sku));
  v1::ProductView view;
  if (!stored || !view.ParseFromString(*stored)) return std::nullopt;
  return view;
}

bool ReadModelStore::customer_exists(std::string_view customer_id) const {
  return get(keys::customer(customer_id)).has_value();
}

// Cursors are the last key returned (minus the prefix), base64url'd: keyset pagination that
// stays stable while new orders arrive.
std::optional<Page<v1::OrderView>> ReadModelStore::customer_orders(std::string_view customer_id,
                                                                   std::size_t limit,
                                                                   std::string_view cursor) const {
  const std::string prefix = keys::customer_orders_prefix(customer_id);
  std::string start = prefix;
  if (!cursor.empty()) {
    auto decoded = eventstore::base64url_decode(cursor);
    if (!decoded || decoded->size() < 8) return std::nullopt;
    start += *decoded;
  }
  Page<v1::OrderView> page;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::string last;
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const auto key = it->key().ToString();
    if (!cursor.empty() && key == start) continue;
    if (page.items.size() == limit) {
      page.next_cursor = eventstore::base64url_encode(std::string_view(last).substr(prefix.size()));
      break;
    }
    auto order_id = std::string_view(key).substr(prefix.size() + 8);
    if (auto view = order(order_id)) page.items.push_back(std::move(*view));
    last = key;
  }
  return page;
}

std::optional<Page<v1::ProductView>> ReadModelStore::products(std::size_t limit,
                                                              std::string_view cursor) const {
  const std::string prefix = "p/";
  std::string start = prefix;
  if (!cursor.empty()) {
    auto decoded = eventstore::base64url_decode(cursor);
    if (!decoded || decoded->empty()) return std::nullopt;
    start += *decoded;
  }
  Page<v1::ProductView> page;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!cursor.empty() && it->key() == start) continue;
    if (page.items.size() == limit) {
      page.next_cursor = eventstore::base64url_encode(page.items.back().sku());
      break;
    }
    v1::ProductView view;
    if (view.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      page.items.push_back(std::move(view));
    }
  }
  return page;
}

std::uint64_t ReadModelStore::stored_checkpoint(const std::string& projection, std::uint32_t partition) const {
  auto stored = get(keys::checkpoint(projection, partition));
  return stored && stored->size() == 8 ? codec::get_u64(*stored) : 0;
}

void ReadModelStore::publish(std::uint32_t partition, std::uint64_t next_offset) {
  {
    std::lock_guard lock(mutex_);
    applied_[partition].store(next_offset);
  }
  advanced_.notify_all();
  waiters_.advance(partition, next_offset);
}

std::uint64_t ReadModelStore::when_reached(const eventstore::PositionVector& position,
                                           std::function<void()> ready) const {
  return waiters_.add(position, std::move(ready));
}

void ReadModelStore::cancel_wait(std::uint64_t ticket) const { waiters_.cancel(ticket); }

eventstore::PositionVector ReadModelStore::checkpoints() const {
  eventstore::PositionVector position;
  for (std::uint32_t p = 0; p < partitions_; ++p) position.offsets[p] = applied_[p].load();
  return position;
}

bool ReadModelStore::reached(const eventstore::PositionVector& position) const {
  for (const auto& [partition, offset] : position.offsets) {
    if (partition >= partitions_) return false;
    if (applied_[partition].load() < offset) return false;
  }
  return true;
}

bool ReadModelStore::wait_for(const eventstore::PositionVector& position,
                              std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return advanced_.wait_for(lock, timeout, [&] { return reached(position); });
}

}  // namespace orderline::projections
