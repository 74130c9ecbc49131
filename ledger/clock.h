// The source of system time. Injected so tests and replays are deterministic; projection
// code never reads the wall clock (STYLE.md rule 7).
#ifndef SIXHEARTS_LEDGER_CLOCK_H_
#define SIXHEARTS_LEDGER_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sixhearts::ledger {

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual absl::Time Now() = 0;
};

// The real clock. Returns a process-wide instance; never destroyed.
Clock* SystemClock();

// A clock that moves only when told; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() override;
  void Set(absl::Time t);
  void Advance(absl::Duration d);

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_CLOCK_H_
