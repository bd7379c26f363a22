#pragma once
// Key layout of the read-model RocksDB instance (one place, so readers and projections agree).
//   o/<order_id>                                  -> v1::OrderView
//   c/<customer_id>\0<inverted created_at(8)><order_id> -> ""  (customer's orders, newest first)
//   p/<sku>                                       -> v1::ProductView
//   u/<customer_id>                               -> ""  (registered customers)
//   cp/<projection>/<partition(4)>                -> next offset(8)
//   l/<order_id>                                  -> v1::OrderView with only its lines (catalogue's own copy)
//   meta/active/<projection>                      -> live version (decimal); absent: 1
//   meta/format/<projection>@<version>            -> Projection::format() it was written in (decimal); absent: 1
//   dl/<projection>/<partition(4)><offset(8)>     -> v1::DeadLetter (never version-prefixed)
//   r/...                                         -> recommendations' counts (recommendation_keys.h)
//   rv/s/<account_key>/<family_id>                -> revoked at (us, decimal): a login signed out
//   rv/a/<account_key>                            -> revoked before (s, decimal): all logins up to then
// Version 1 of a projection uses these keys as they are (stores written before versions existed
// stay valid); version N >= 2 puts every key of that projection, checkpoints included, under
// "~<projection>@<N>/", so a rebuild writes beside the live version and a swap or drop is one
// key or one DeleteRange.
#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/embedded/key_codec.h"

namespace orderline::projections::keys {

inline std::string order(std::string_view order_id) { return "o/" + std::string(order_id); }
inline std::string product(std::string_view sku) { return "p/" + std::string(sku); }
inline std::string customer(std::string_view customer_id) { return "u/" + std::string(customer_id); }
inline std::string customer_orders_prefix(std::string_view customer_id) {
  std::string key = "c/" + std::string(customer_id);
  key.push_back('\0');
  return key;
}
// Inverting the time makes RocksDB's ascending order newest first.
inline std::string customer_order(std::string_view customer_id, std::int64_t created_at_us,
                                  std::string_view order_id) {
  std::string key = customer_orders_prefix(customer_id);
  codec::put_u64(key, ~static_cast<std::uint64_t>(created_at_us));
  key += order_id;
  return key;
}
inline std::string catalogue_order_lines(std::string_view order_id) { return "l/" + std::string(order_id); }
inline std::string active_version(std::string_view projection) { return "meta/active/" + std::string(projection); }
inline std::string format(std::string_view projection, int version) {
  return "meta/format/" + std::string(projection) + "@" + std::to_string(version);
}
inline std::string version_prefix(std::string_view projection, int version) {
  if (version <= 1) return "";
  return "~" + std::string(projection) + "@" + std::to_string(version) + "/";
}
inline std::string dead_letters_prefix(std::string_view projection) { return "dl/" + std::string(projection) + "/"; }
inline std::string dead_letter(std::string_view projection, std::uint32_t partition, std::uint64_t offset) {
  std::string key = dead_letters_prefix(projection);
  codec::put_u32(key, partition);
  codec::put_u64(key, offset);
  return key;
}
inline std::string revoked_session(std::string_view account_key, std::string_view family_id) {
  return "rv/s/" + std::string(account_key) + "/" + std::string(family_id);
}
inline std::string revoked_account(std::string_view account_key) { return "rv/a/" + std::string(account_key); }
inline std::string checkpoint(std::string_view projection, std::uint32_t partition) {
  std::string key = "cp/" + std::string(projection) + "/";
  codec::put_u32(key, partition);
  return key;
}

}  // namespace orderline::projections::keys
