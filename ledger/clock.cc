// Real and manual clocks.
#include "ledger/clock.h"

#include "absl/time/clock.h"

namespace sixhearts::ledger {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace

Clock* SystemClock() {
  static Clock* clock = new RealClock();
  return clock;
}

absl::Time ManualClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

void ManualClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

void ManualClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

}  // namespace sixhearts::ledger
