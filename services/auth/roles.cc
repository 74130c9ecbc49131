// The method table. Roles are not ranked: admin does not imply reader; a principal that
// needs both lists both.
#include "services/auth/roles.h"

#include <algorithm>

namespace sixhearts::services::auth {
namespace {

constexpr Role W = Role::kWriter;
constexpr Role R = Role::kReader;
constexpr Role A = Role::kAuditor;
constexpr Role D = Role::kAdmin;

std::vector<MethodAccess> BuildTable() {
  std::vector<MethodAccess> t = {
      // Event store: writers append; readers and auditors read (an audit export is a read
      // of the log); verifying the chain is the auditors' (and operators') job.
      {"/sixhearts.ledger.v1.EventStore/Append", Access::kRoles, {W}},
      {"/sixhearts.ledger.v1.EventStore/ReadLog", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.EventStore/ReadStream", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.EventStore/Subscribe", Access::kRoles, {R, A}},
      // The head position and hash: writers need it to check what they appended.
      {"/sixhearts.ledger.v1.EventStore/Digest", Access::kRoles, {W, R, A, D}},
      {"/sixhearts.ledger.v1.EventStore/Verify", Access::kRoles, {A, D}},
      // The audit export (one client's events and the proof) is the auditors' report.
      {"/sixhearts.ledger.v1.EventStore/ExportAudit", Access::kRoles, {A}},
      // Erasure of personal data destroys a key: the admins' alone.
      {"/sixhearts.ledger.v1.EventStore/EraseSubject", Access::kRoles, {D}},
      // Merkle proofs show hashes only, no event content: whoever may read the digest.
      {"/sixhearts.ledger.v1.EventStore/GetInclusionProof", Access::kRoles, {W, R, A, D}},
      {"/sixhearts.ledger.v1.EventStore/GetConsistencyProof", Access::kRoles, {W, R, A, D}},
      // Backups copy the whole store: the admins'.
      {"/sixhearts.ledger.v1.Admin/CreateBackup", Access::kRoles, {D}},
      {"/sixhearts.ledger.v1.Admin/ListBackups", Access::kRoles, {D}},
      {"/sixhearts.ledger.v1.Admin/VerifyBackup", Access::kRoles, {D}},
      // Compliance reports and the annual disclosure: auditors.
      {"/sixhearts.ledger.v1.Compliance/Report", Access::kRoles, {A}},
      {"/sixhearts.ledger.v1.Compliance/Disclosure", Access::kRoles, {A}},
      // Its projection's status and rebuild: as for the other projections (below).
      {"/sixhearts.ledger.v1.Compliance/ProjectionStatus", Access::kRoles, {R, A, D}},
      {"/sixhearts.ledger.v1.Compliance/Rebuild", Access::kRoles, {D}},
      // Receivables reports: readers (collectors) and auditors; rebuilding is an
      // operation on the server, the admins'.
      {"/sixhearts.ledger.v1.Receivables/Aging", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Receivables/Dso", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Receivables/Promises", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Receivables/Disputes", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Receivables/ProjectionStatus", Access::kRoles, {R, A, D}},
      {"/sixhearts.ledger.v1.Receivables/Rebuild", Access::kRoles, {D}},
      // Six-hearts reports: the same split.
      {"/sixhearts.ledger.v1.Relationships/Scorecard", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Relationships/Timeline", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Relationships/Plans", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Relationships/Worklist", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Relationships/Evidence", Access::kRoles, {R, A}},
      {"/sixhearts.ledger.v1.Relationships/ProjectionStatus", Access::kRoles, {R, A, D}},
      {"/sixhearts.ledger.v1.Relationships/Rebuild", Access::kRoles, {D}},
      // Load balancers and orchestrators probe health without credentials; it tells
      // nothing but SERVING or NOT_SERVING.
      {"/grpc.health.v1.Health/Check", Access::kPublic, {}},
      {"/grpc.health.v1.Health/Watch", Access::kPublic, {}},
      // The schema is no secret from a principal, but is from the world.
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
       Access::kAuthenticated,
       {}},
  };
  std::sort(t.begin(), t.end(),
            [](const MethodAccess& a, const MethodAccess& b) { return a.method < b.method; });
  return t;
}

}  // namespace

const std::vector<MethodAccess>& MethodTable() {
  static const std::vector<MethodAccess>* const table = new std::vector<MethodAccess>(BuildTable());
  return *table;
}

const MethodAccess* FindMethodAccess(std::string_view method) {
  const auto& table = MethodTable();
  auto it = std::lower_bound(
      table.begin(), table.end(), method,
      [](const MethodAccess& entry, std::string_view m) { return entry.method < m; });
  if (it == table.end() || it->method != method) return nullptr;
  return &*it;
}

bool Allows(const MethodAccess& access, const std::vector<Role>& roles) {
  switch (access.access) {
    case Access::kPublic:
    case Access::kAuthenticated:
      return true;
    case Access::kRoles:
      for (Role held : roles) {
        if (std::find(access.roles.begin(), access.roles.end(), held) != access.roles.end()) {
          return true;
        }
      }
      return false;
  }
  return false;
}

}  // namespace sixhearts::services::auth
