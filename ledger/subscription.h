// A subscription to the log: catch-up from a position, then live, with no gap and no
// duplicate. Created by EventStore::Subscribe.
//
// Thread-safety: one consumer thread calls Next; the store's writer feeds it.
// A live subscription holds at most limits.subscription_buffer_events queued events;
// a consumer that lets more pile up is dropped with RESOURCE_EXHAUSTED and resumes by
// subscribing again from its last checkpoint_position. One committed group larger than
// the buffer, published when the consumer had taken everything before it, is read from
// the log instead (ledger/live_feed.h): the size of one write never drops a consumer.
#ifndef SIXHEARTS_LEDGER_SUBSCRIPTION_H_
#define SIXHEARTS_LEDGER_SUBSCRIPTION_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

struct SubscriptionBatch {
  // Matching events in position order (may be empty).
  std::vector<v1::Event> events;
  // True on the one batch that finishes catch-up.
  bool caught_up = false;
  // Every position up to here has been accounted for (delivered or filtered out).
  uint64_t checkpoint_position = 0;
};

class Subscription {
 public:
  class Impl;
  explicit Subscription(std::unique_ptr<Impl> impl);
  ~Subscription();

  // Returns the next events, waiting up to `timeout` when live and nothing is new (an
  // empty batch then). Errors: RESOURCE_EXHAUSTED when the buffer overflowed (the
  // consumer fell behind); UNAVAILABLE when the store is shutting down; DATA_LOSS when a
  // stored record does not parse.
  absl::StatusOr<SubscriptionBatch> Next(absl::Duration timeout);

  bool live() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_SUBSCRIPTION_H_
