// Internal to ledger/: the fan-out of committed events to live subscriptions, and the
// published head. The writer publishes under the feed's mutex, and a subscription
// registers under the same mutex, so every event after the registration head reaches
// the subscription's queue and every event up to it is in the log: no gap, no overlap.
#ifndef SIXHEARTS_LEDGER_LIVE_FEED_H_
#define SIXHEARTS_LEDGER_LIVE_FEED_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

using EventBatchPtr = std::shared_ptr<const std::vector<v1::Event>>;

// The queue of one live subscription. Guarded by the feed's mutex.
//
// A group that does not fit beside what is queued overflows the queue: the consumer has
// not taken more than buffer_events events (it fell behind) and is dropped. A group that
// alone is larger than the buffer, published to an empty queue (the consumer has taken
// everything before it), sets `reread` instead: nothing more is queued, and the consumer
// leaves the feed and reads on from the log, a page at a time, until it is at the head
// again. So the size of one write never drops a consumer that keeps up, and no queue
// holds more than buffer_events events.
struct LiveQueue {
  std::deque<EventBatchPtr> batches;
  size_t queued_events = 0;
  bool overflowed = false;
  uint64_t overflow_position = 0;
  bool reread = false;
};

class LiveFeed {
 public:
  explicit LiveFeed(size_t buffer_events) : buffer_events_(buffer_events) {}

  // Called by the writer after a durable commit. `events` are in position order and
  // continue the head exactly.
  void Publish(EventBatchPtr events, const std::string& head_hash, absl::Time recorded_at);

  // Sets the head recovered at open; before any Publish.
  void Reset(uint64_t position, const std::string& hash, absl::Time recorded_at);

  uint64_t head_position() const;
  void head(uint64_t* position, std::string* hash, absl::Time* recorded_at) const;

  // Registers `queue` if the head is exactly `after_position`; otherwise returns false
  // and the caller reads more of the log first.
  bool Register(LiveQueue* queue, uint64_t after_position);
  void Unregister(LiveQueue* queue);

  // Waits until `queue` has something, overflowed, is to be reread, the feed closed, or
  // `timeout`. Moves queued batches into `out`. Returns false when the feed is closed.
  bool Take(LiveQueue* queue, absl::Duration timeout, std::vector<EventBatchPtr>* out,
            bool* overflowed, uint64_t* overflow_position, bool* reread);

  // Ends every live subscription (their Take returns false). Idempotent.
  void Close();
  bool closed() const;

  // Subscription slots, live or catching up.
  bool AcquireSlot(size_t max_subscriptions);
  void ReleaseSlot();
  // Slots taken: subscriptions open, live or catching up.
  size_t slots() const {
    absl::MutexLock lock(&mu_);
    return slots_;
  }

 private:
  const size_t buffer_events_;
  mutable absl::Mutex mu_;
  uint64_t head_position_ ABSL_GUARDED_BY(mu_) = 0;
  std::string head_hash_ ABSL_GUARDED_BY(mu_);
  absl::Time head_recorded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::flat_hash_set<LiveQueue*> queues_ ABSL_GUARDED_BY(mu_);
  size_t slots_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_LIVE_FEED_H_
