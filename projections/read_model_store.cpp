#include "projections/read_model_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <charconv>
#include <stdexcept>

#include "eventstore/base64url.h"
#include "projections/counter_row.h"
#include "projections/keys.h"
#include "projections/standard_projections.h"

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
  db_options.merge_operator = counter_row_merge_operator();  // BatchWriter::add_counters
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options, options.path, &raw);
  if (!status.ok()) throw std::runtime_error("cannot open read models at " + options.path + ": " + status.ToString());
  db_.reset(raw);
  for (std::uint32_t p = 0; p < partitions_; ++p) applied_[p].store(0);
  for (const char* name : {"order_details", "customer_orders", "catalogue", "customers", kSessionRevocationsProjection}) {
    live_slot(name)->store(active_version(name));
  }
}

std::atomic<int>* ReadModelStore::live_slot(const std::string& projection) const {
  if (projection == "order_details") return &order_details_version_;
  if (projection == "customer_orders") return &customer_orders_version_;
  if (projection == "catalogue") return &catalogue_version_;
  if (projection == "customers") return &customers_version_;
  if (projection == kSessionRevocationsProjection) return &revocations_version_;
  return nullptr;
}

std::string ReadModelStore::live(const std::string& projection, std::string_view key) const {
  const auto* slot = live_slot(projection);
  return keys::version_prefix(projection, slot ? slot->load() : 1) + std::string(key);
}

int ReadModelStore::active_version(const std::string& projection) const {
  auto stored = get(keys::active_version(projection));
  if (!stored) return 1;
  try {
    return std::max(1, std::stoi(*stored));
  } catch (const std::exception&) {
    return 1;
  }
}

void ReadModelStore::set_active_version(const std::string& projection, int version) {
  rocksdb::WriteOptions options;
  options.sync = true;  // a swap must survive a crash: the old version is deleted next
  auto status = db_->Put(options, keys::active_version(projection), std::to_string(version));
  if (!status.ok()) throw std::runtime_error("cannot record the live version of " + projection + ": " + status.ToString());
  if (auto* slot = live_slot(projection)) slot->store(version);
}

int ReadModelStore::stored_format(const std::string& projection, int version) const {
  auto stored = get(keys::format(projection, version));
  if (!stored) return 1;
  try {
    return std::stoi(*stored);
  } catch (const std::exception&) {
    return 0;  // unreadable: no format a projection has, so it is folded again
  }
}

void ReadModelStore::set_format(const std::string& projection, int version, int format) {
  rocksdb::WriteOptions options;
  options.sync = true;  // before the first batch of the new format
  auto status = db_->Put(options, keys::format(projection, version), std::to_string(format));
  if (!status.ok()) throw std::runtime_error("cannot record the format of " + projection + ": " + status.ToString());
}

void ReadModelStore::drop_version(const std::string& projection, int version,
                                  const std::vector<std::string>& key_prefixes) {
  std::vector<std::string> prefixes;
  if (version >= 2) {
    prefixes.push_back(keys::version_prefix(projection, version));
  } else {
    prefixes = key_prefixes;
    prefixes.push_back("cp/" + projection + "/");
  }
  for (const auto& prefix : prefixes) {
    // [prefix, prefix with its last byte incremented): every key that starts with it.
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    auto status = db_->DeleteRange(rocksdb::WriteOptions(), db_->DefaultColumnFamily(), prefix, end);
    if (!status.ok()) throw std::runtime_error("cannot drop " + projection + " v" + std::to_string(version) + ": " + status.ToString());
  }
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
  auto stored = get(live("order_details", keys::order(order_id)));
  v1::OrderView view;
  if (!stored || !view.ParseFromString(*stored)) return std::nullopt;
  return view;
}

std::optional<v1::ProductView> ReadModelStore::product(std::string_view sku) const {
  auto stored = get(live("catalogue", keys::product(sku)));
  v1::ProductView view;
  if (!stored || !view.ParseFromString(*stored)) return std::nullopt;
  return view;
}

bool ReadModelStore::customer_exists(std::string_view customer_id) const {
  return get(live("customers", keys::customer(customer_id))).has_value();
}

bool ReadModelStore::session_revoked(std::string_view account_key, std::string_view family_id) const {
  return get(live(kSessionRevocationsProjection, keys::revoked_session(account_key, family_id))).has_value();
}

std::int64_t ReadModelStore::account_revoked_before_s(std::string_view account_key) const {
  const auto stored = get(live(kSessionRevocationsProjection, keys::revoked_account(account_key)));
  std::int64_t before = 0;
  if (stored) std::from_chars(stored->data(), stored->data() + stored->size(), before);
  return before;
}

// Cursors are the last key returned (minus the prefix), base64url'd: keyset pagination that
// stays stable while new orders arrive.
std::optional<Page<v1::OrderView>> ReadModelStore::customer_orders(std::string_view customer_id,
                                                                   std::size_t limit,
                                                                   std::string_view cursor) const {
  const std::string prefix = live("customer_orders", keys::customer_orders_prefix(customer_id));
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
  const std::string prefix = live("catalogue", "p/");
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

std::uint64_t ReadModelStore::stored_checkpoint(const std::string& projection, std::uint32_t partition,
                                                int version) const {
  auto stored = get(keys::version_prefix(projection, version) + keys::checkpoint(projection, partition));
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
