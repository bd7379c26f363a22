#pragma once
// Who is calling, once a bearer token checked out: roles, and for customers the customer id
// taken from the token (never from the request). Every route's access is decided from this.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderline::auth {

enum class Role : std::uint8_t { customer = 1, staff = 2, ops = 4, analyst = 8, admin = 16 };
using RoleSet = std::uint8_t;

constexpr RoleSet operator|(Role a, Role b) { return static_cast<RoleSet>(static_cast<RoleSet>(a) | static_cast<RoleSet>(b)); }
constexpr RoleSet operator|(RoleSet a, Role b) { return static_cast<RoleSet>(a | static_cast<RoleSet>(b)); }
constexpr RoleSet roles_of(Role r) { return static_cast<RoleSet>(r); }

inline constexpr Role kAllRoles[] = {Role::customer, Role::staff, Role::ops, Role::analyst, Role::admin};

std::optional<Role> role_from_name(std::string_view name);
std::string_view role_name(Role role);
std::vector<std::string> role_names(RoleSet roles);

struct Principal {
  std::string subject;      // stable id of the caller: account key, OIDC sub, or "service:admin"
  std::string customer_id;  // set for callers acting as a customer
  RoleSet roles = 0;
  std::string source;       // "local" (our tokens), "oidc", "service" (the --admin-token)
  std::string account_key;  // local accounts: the account stream's key
  // Local accounts: the login (refresh-token family) the token belongs to, claim "sid", so a
  // logout can revoke that login's access tokens. Empty for other tokens.
  std::string session_id;

  bool has(Role role) const { return (roles & static_cast<RoleSet>(role)) != 0; }
  bool any_of(RoleSet wanted) const { return (roles & wanted) != 0; }
  // A customer and nothing more: restricted to their own data everywhere.
  bool customer_only() const { return roles == static_cast<RoleSet>(Role::customer); }
};

}  // namespace orderline::auth
