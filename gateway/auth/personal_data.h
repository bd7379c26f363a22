#pragma once
// Per-customer keys for personal data (crypto-shredding). Name, e-mail and address are
// sealed with the customer's own key (libsodium secretbox, XSalsa20-Poly1305) before they
// enter the append-only log; destroying the key forgets the person while every event, and so
// the order history, stays in place and consistent.
//
// The keys live in their own RocksDB (data_dir/keys), never in the log: a log is never
// rewritten, a key store can forget. destroy() deletes the key and compacts its range, so the
// key's bytes do not linger in older files.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rocksdb {
class DB;
}

namespace orderline::auth {

class CustomerKeys {
 public:
  // Opens (creating) the store; throws std::runtime_error when it cannot.
  explicit CustomerKeys(const std::string& path);
  ~CustomerKeys();
  CustomerKeys(const CustomerKeys&) = delete;
  CustomerKeys& operator=(const CustomerKeys&) = delete;

  // The customer's key, made (and synced to disk) on first use. nullopt on a store error.
  std::optional<std::string> get_or_create(std::string_view customer_id);
  // nullopt when there is none (never made, or destroyed).
  std::optional<std::string> get(std::string_view customer_id) const;
  // Forgets the key for good. True when the store no longer holds it.
  bool destroy(std::string_view customer_id);
  // The store itself, for online backups (a rocksdb::Checkpoint while it is written).
  rocksdb::DB& db() { return *db_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

// nonce (24 bytes) followed by the ciphertext.
std::string seal(std::string_view key, std::string_view plaintext);
// nullopt when the key is wrong or the box was altered.
std::optional<std::string> open_sealed(std::string_view key, std::string_view sealed);

}  // namespace orderline::auth
