// Hooks through which the event store reports its work (for metrics), so ledger/ stays
// free of any metrics, HTTP or gRPC library: services/metrics implements them.
#ifndef SIXHEARTS_LEDGER_OBSERVER_H_
#define SIXHEARTS_LEDGER_OBSERVER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sixhearts::ledger {

// Implementations must be thread-safe and quick (a few atomic increments): they run on
// the store's commit thread, inside the append path, and must not call back into the store.
class StoreObserver {
 public:
  virtual ~StoreObserver() = default;

  // One Append request finished: `events` in the request, its outcome (`duplicate`: an
  // idempotent retry that wrote nothing), and the time from submission to the outcome
  // (for a written batch: until it was durable).
  virtual void OnAppendDone(size_t events, const absl::Status& status, bool duplicate,
                            absl::Duration latency) = 0;

  // One group commit: `requests` Append requests folded into one RocksDB write of
  // `events_written` new events, which took `write_duration` (the WAL sync included).
  virtual void OnGroupCommit(size_t requests, size_t events_written,
                             absl::Duration write_duration) = 0;

  // A read (or the check of the head at open) found the log damaged: `found` is the
  // DATA_LOSS naming the position. May run on any thread, once per finding.
  virtual void OnLogDamage(const absl::Status& found) { (void)found; }
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_OBSERVER_H_
