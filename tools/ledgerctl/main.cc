// ledgerctl: the command-line client of the ledger. A thin main over cli.h.
#include <unistd.h>

#include <iostream>

#include "tools/ledgerctl/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return sixhearts::ledgerctl::RunLedgerctl(argc, argv, &std::cin, &std::cout, &std::cerr,
                                            isatty(STDERR_FILENO) == 1);
}
