#include "gateway/auth/principal.h"

namespace orderline::auth {

std::optional<Role> role_from_name(std::string_view name) {
  for (Role r : kAllRoles) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::customer: return "customer";
    case Role::staff: return "staff";
    case Role::ops: return "ops";
    case Role::analyst: return "analyst";
    case Role::admin: return "admin";
  }
  return "";
}

std::vector<std::string> role_names(RoleSet roles) {
  std::vector<std::string> out;
  for (Role r : kAllRoles) {
    if (roles & static_cast<RoleSet>(r)) out.emplace_back(role_name(r));
  }
  return out;
}

}  // namespace orderline::auth
