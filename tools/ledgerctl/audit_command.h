// `ledgerctl report audit`: writes an audit export (ledger/FORMAT.md "Audit export") as
// JSON or CSV for tools/verify_audit.py; and `ledgerctl erase-subject` (FORMAT.md
// "Personal data"). Kept apart from cli.cc so the future `ledgerctl report audit` can
// register the same options and function.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_AUDIT_COMMAND_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_AUDIT_COMMAND_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tools/ledgerctl/commands.h"

namespace CLI {
class App;
}

namespace sixhearts::ledgerctl {

struct AuditExportOptions {
  std::string client_id;
  std::string from;  // YYYY-MM-DD, included
  std::string to;    // YYYY-MM-DD, included
  // The auditor's last verified head position (`ledgerctl digest` earlier); 0 for none.
  uint64_t verified_position = 0;
  // The export on Merkle proofs (JSON only); verified_position is then the tree size of
  // the auditor's last verified checkpoint.
  bool proofs = false;
  std::string format = "json";  // json or csv
  std::string output;           // file; "-" or empty: standard output
};

// Adds the flags of AuditExportOptions to `command`.
void AddAuditExportFlags(CLI::App* command, AuditExportOptions* options);

// Runs the export and writes it; prints a one-line summary to context.err when writing
// to a file. INVALID_ARGUMENT (exit 2) for a malformed date or format.
absl::StatusOr<int> RunAuditExport(const CommandContext& context,
                                   const AuditExportOptions& options);

struct EraseSubjectOptions {
  std::string subject_id;
  std::string reason;
};

// `ledgerctl erase-subject SUBJECT --reason TEXT`: prints the position and stream of the
// SubjectErased event.
void AddEraseSubjectFlags(CLI::App* command, EraseSubjectOptions* options);
absl::StatusOr<int> RunEraseSubject(const CommandContext& context,
                                    const EraseSubjectOptions& options);

// Writes an export page by page. Exposed for tests.
class AuditExportWriter {
 public:
  virtual ~AuditExportWriter() = default;
  virtual void Header(const ledger::v1::AuditHeader& header) = 0;
  virtual void Record(const ledger::v1::AuditRecord& record) = 0;
  virtual void Finish() = 0;
};
std::unique_ptr<AuditExportWriter> MakeAuditExportWriter(std::string_view format,
                                                         std::ostream* out);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_AUDIT_COMMAND_H_
