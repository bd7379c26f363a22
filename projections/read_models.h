#pragma once
// Queries the gateway asks of the read models. Implemented by the RocksDB projections;
// answers are as fresh as the projector's checkpoints (see reached()).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/position.h"
#include "orderline/v1/views.pb.h"

namespace orderline::projections {

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  // opaque; nullopt on the last page
};

class ReadModels {
 public:
  virtual ~ReadModels() = default;

  virtual std::optional<v1::OrderView> order(std::string_view order_id) const = 0;
  // Newest first. A cursor that does not decode yields nullopt (the caller answers 400).
  virtual std::optional<Page<v1::OrderView>> customer_orders(std::string_view customer_id,
                                                             std::size_t limit,
                                                             std::string_view cursor) const = 0;
  virtual std::optional<v1::ProductView> product(std::string_view sku) const = 0;
  // By SKU.
  virtual std::optional<Page<v1::ProductView>> products(std::size_t limit,
                                                        std::string_view cursor) const = 0;
  virtual bool customer_exists(std::string_view customer_id) const = 0;
  // Access tokens of revoked logins (the "revocations" projection): whether the login
  // `family_id` of the account was signed out, and the issue time (s) up to which all the
  // account's tokens are refused (0: none).
  virtual bool session_revoked(std::string_view account_key, std::string_view family_id) const = 0;
  virtual std::int64_t account_revoked_before_s(std::string_view account_key) const = 0;

  // Checkpoints of all projections, per partition (the minimum across projections).
  virtual eventstore::PositionVector checkpoints() const = 0;
  // True when every projection has folded every partition of `position` up to its entry.
  virtual bool reached(const eventstore::PositionVector& position) const = 0;

  // Runs `ready` once reached(position) holds: at once on the caller's thread when it already
  // does, else on the projector's thread when it gets there, so `ready` must only post work
  // (e.g. to a connection's strand). Returns a ticket for cancel_wait (0: already ran). Lets
  // the gateway wait for after=TOKEN without blocking or polling.
  virtual std::uint64_t when_reached(const eventstore::PositionVector& position,
                                     std::function<void()> ready) const = 0;
  virtual void cancel_wait(std::uint64_t ticket) const = 0;
};

}  // namespace orderline::projections
