#include "gateway/auth/personal_data.h"

#include <rocksdb/db.h>
#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace orderline::auth {
namespace {

void ensure_sodium() {
  static const int ready = sodium_init();
  (void)ready;
}

std::mutex& create_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

CustomerKeys::CustomerKeys(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, path, &db);
  if (!status.ok()) throw std::runtime_error("cannot open the customer key store " + path + ": " + status.ToString());
  db_.reset(db);
}

CustomerKeys::~CustomerKeys() = default;

std::optional<std::string> CustomerKeys::get(std::string_view customer_id) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(customer_id.data(), customer_id.size()), &value);
  if (!status.ok()) return std::nullopt;
  return value;
}

std::optional<std::string> CustomerKeys::get_or_create(std::string_view customer_id) {
  ensure_sodium();
  // One creator at a time, so two registrations of one id cannot end with two keys.
  std::lock_guard lock(create_mutex());
  if (auto existing = get(customer_id)) return existing;
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
  rocksdb::WriteOptions write;
  write.sync = true;  // a sealed event must never outlive a key that was never durable
  if (!db_->Put(write, rocksdb::Slice(customer_id.data(), customer_id.size()), key).ok()) return std::nullopt;
  return key;
}

bool CustomerKeys::destroy(std::string_view customer_id) {
  rocksdb::WriteOptions write;
  write.sync = true;
  const rocksdb::Slice id(customer_id.data(), customer_id.size());
  if (!db_->Delete(write, id).ok()) return false;
  // Push the deletion through every level so the key's bytes are gone from disk.
  std::string end(customer_id);
  end.push_back('\0');
  const rocksdb::Slice end_slice(end);
  db_->Flush(rocksdb::FlushOptions());
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  db_->CompactRange(compact, &id, &end_slice);
  return !get(customer_id).has_value();
}

std::string seal(std::string_view key, std::string_view plaintext) {
  ensure_sodium();
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, reinterpret_cast<const unsigned char*>(key.data()));
  return out;
}

std::optional<std::string> open_sealed(std::string_view key, std::string_view sealed) {
  ensure_sodium();
  if (key.size() != crypto_secretbox_KEYBYTES || sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return std::nullopt;
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const auto* box = nonce + crypto_secretbox_NONCEBYTES;
  const std::size_t box_size = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string out(box_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), box, box_size, nonce,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace orderline::auth
