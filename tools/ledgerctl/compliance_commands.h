// `ledgerctl report compliance|disclosure`: streams a rendered report from the Compliance
// service into a file (or stdout), checks its SHA-256 against the trailer, and shows the
// replay's progress on stderr.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_COMPLIANCE_COMMANDS_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_COMPLIANCE_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/ledgerctl/commands.h"

namespace sixhearts::ledgerctl {

struct ComplianceReportCommandOptions {
  std::string kind;         // "compliance" or "disclosure"
  std::string as_of;        // YYYY-MM-DD; empty: today (UTC) per the server
  std::string known_at;     // RFC 3339 or YYYY-MM-DD (end of day); empty: the server's now
  std::string period_from;  // compliance only; empty: as_of - 364 days
  int year = 0;             // disclosure: the year; 0: the year of --as-of
  std::string format;       // json|csv|html; empty: json
  std::string output;       // file; empty or "-": stdout
  bool with_proofs = false;  // compliance, JSON only: the report on proofs
  std::vector<std::string> clients;
};

absl::StatusOr<int> RunComplianceReport(const CommandContext& context,
                                        const ComplianceReportCommandOptions& options);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_COMPLIANCE_COMMANDS_H_
