// The ledgerctl command line: flags, subcommands, help texts and exit codes.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_CLI_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_CLI_H_

#include <istream>
#include <ostream>

namespace sixhearts::ledgerctl {

// Parses the command line, runs the command and returns the process exit code
// (commands.h). Errors go to `err` as "ledgerctl: CODE: message".
int RunLedgerctl(int argc, const char* const* argv, std::istream* in, std::ostream* out,
                 std::ostream* err, bool err_is_terminal);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_CLI_H_
