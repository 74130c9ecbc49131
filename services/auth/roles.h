// Which roles may call which gRPC method: one table for every method of every service
// ledgerd serves (README.md, "Authentication and roles", prints it). A method missing from
// the table is refused for everyone (PERMISSION_DENIED), and tests/services/auth checks
// the table against the proto descriptors of the registered services, so a new method
// cannot be served before someone decides who may call it.
#ifndef SIXHEARTS_SERVICES_AUTH_ROLES_H_
#define SIXHEARTS_SERVICES_AUTH_ROLES_H_

#include <string_view>
#include <vector>

#include "services/auth/auth_config.h"

namespace sixhearts::services::auth {

enum class Access {
  kPublic,         // no credentials needed (health checks from load balancers)
  kAuthenticated,  // any authenticated principal, whatever its roles (reflection)
  kRoles,          // a principal holding one of `roles`
};

struct MethodAccess {
  // The gRPC path: "/package.Service/Method".
  std::string_view method;
  Access access = Access::kRoles;
  std::vector<Role> roles;
};

// The whole table.
const std::vector<MethodAccess>& MethodTable();

// The table's entry for `method` (a gRPC path), or nullptr when it has none.
const MethodAccess* FindMethodAccess(std::string_view method);

// True when a principal with `roles` may call a method with `access`.
bool Allows(const MethodAccess& access, const std::vector<Role>& roles);

}  // namespace sixhearts::services::auth

#endif  // SIXHEARTS_SERVICES_AUTH_ROLES_H_
