// Abseil's mutex deadlock detection, forced by the environment for test runs:
// SIXHEARTS_DEADLOCK_DETECTION=abort (or report, or ignore) sets
// absl::SetMutexDeadlockDetectionMode before main() in ledgerd and in every test binary
// (this object file is linked into each). Unset, Abseil's default stays: on (abort) when
// Abseil was built without NDEBUG, as Debian's is. An Abseil built with NDEBUG compiles the
// detector out, and the setting then has no effect. README.md "Testing" says how to use it.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/synchronization/mutex.h"

namespace {

bool SetFromEnvironment() {
  const char* mode = std::getenv("SIXHEARTS_DEADLOCK_DETECTION");
  if (mode == nullptr || *mode == '\0') return false;
  if (std::strcmp(mode, "abort") == 0) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
  } else if (std::strcmp(mode, "report") == 0) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kReport);
  } else if (std::strcmp(mode, "ignore") == 0) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  } else {
    std::fprintf(stderr,
                 "SIXHEARTS_DEADLOCK_DETECTION: expected abort, report or ignore, got \"%s\"\n",
                 mode);
    std::exit(2);
  }
  return true;
}

[[maybe_unused]] const bool kDeadlockDetectionSet = SetFromEnvironment();

}  // namespace
