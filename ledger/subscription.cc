// Live fan-out and the catch-up-then-live subscription.
#include "ledger/subscription.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/event_store.h"
#include "ledger/live_feed.h"

namespace sixhearts::ledger {

void LiveFeed::Reset(uint64_t position, const std::string& hash, absl::Time recorded_at) {
  absl::MutexLock lock(&mu_);
  head_position_ = position;
  head_hash_ = hash;
  head_recorded_at_ = recorded_at;
}

void LiveFeed::Publish(EventBatchPtr events, const std::string& head_hash, absl::Time recorded_at) {
  if (events->empty()) return;
  absl::MutexLock lock(&mu_);
  // The writer is the only publisher and commits positions in order; anything else is
  // a broken invariant that would hand subscribers a gap.
  if (events->front().position() != head_position_ + 1) std::abort();
  head_position_ = events->back().position();
  head_hash_ = head_hash;
  head_recorded_at_ = recorded_at;
  for (LiveQueue* q : queues_) {
    if (q->overflowed || q->reread) continue;
    if (q->queued_events + events->size() > buffer_events_ && q->batches.empty()) {
      q->reread = true;  // it keeps up; this group alone exceeds the buffer (live_feed.h)
      continue;
    }
    if (q->queued_events + events->size() > buffer_events_) {
      // What is queued stays deliverable; the consumer learns of the overflow after it.
      q->overflowed = true;
      q->overflow_position = events->front().position();
      continue;
    }
    q->batches.push_back(events);
    q->queued_events += events->size();
  }
}

uint64_t LiveFeed::head_position() const {
  absl::MutexLock lock(&mu_);
  return head_position_;
}

void LiveFeed::head(uint64_t* position, std::string* hash, absl::Time* recorded_at) const {
  absl::MutexLock lock(&mu_);
  *position = head_position_;
  *hash = head_hash_;
  *recorded_at = head_recorded_at_;
}

bool LiveFeed::Register(LiveQueue* queue, uint64_t after_position) {
  absl::MutexLock lock(&mu_);
  if (closed_ || head_position_ != after_position) return false;
  queues_.insert(queue);
  return true;
}

void LiveFeed::Unregister(LiveQueue* queue) {
  absl::MutexLock lock(&mu_);
  queues_.erase(queue);
}

bool LiveFeed::Take(LiveQueue* queue, absl::Duration timeout, std::vector<EventBatchPtr>* out,
                    bool* overflowed, uint64_t* overflow_position, bool* reread) {
  auto ready = [this, queue]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return closed_ || queue->overflowed || queue->reread || !queue->batches.empty();
  };
  mu_.LockWhenWithTimeout(absl::Condition(&ready), timeout);
  for (auto& batch : queue->batches) out->push_back(std::move(batch));
  queue->batches.clear();
  queue->queued_events = 0;
  *overflowed = queue->overflowed;
  *overflow_position = queue->overflow_position;
  *reread = queue->reread;
  const bool open = !closed_;
  mu_.Unlock();
  return open;
}

void LiveFeed::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool LiveFeed::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

bool LiveFeed::AcquireSlot(size_t max_subscriptions) {
  absl::MutexLock lock(&mu_);
  if (slots_ >= max_subscriptions) return false;
  ++slots_;
  return true;
}

void LiveFeed::ReleaseSlot() {
  absl::MutexLock lock(&mu_);
  --slots_;
}

class Subscription::Impl {
 public:
  Impl(const EventStore* store, LiveFeed* feed, uint64_t after_position,
       const v1::EventFilter& filter)
      : store_(store), feed_(feed), checkpoint_(after_position), filter_(filter) {}

  ~Impl() {
    if (live_) feed_->Unregister(&queue_);
    feed_->ReleaseSlot();
  }

  absl::StatusOr<SubscriptionBatch> Next(absl::Duration timeout) {
    if (live_) return NextLive(timeout);
    return NextFromLog();
  }

  bool live() const { return live_; }

 private:
  // Catch-up: one page of the log after the checkpoint; at the head, joins the feed.
  absl::StatusOr<SubscriptionBatch> NextFromLog() {
    SubscriptionBatch batch;
    if (feed_->closed()) return Closed();
    auto page = store_->ReadLog(checkpoint_ + 1, /*backward=*/false,
                                store_->limits().max_read_events, filter_);
    if (!page.ok()) return page.status();
    if (page->scanned_to_position > checkpoint_) checkpoint_ = page->scanned_to_position;
    batch.events = std::move(page->events);
    // Register only when the log holds nothing after the checkpoint; if the writer
    // published meanwhile, the next call reads that from the log.
    if (batch.events.empty() && feed_->Register(&queue_, checkpoint_)) {
      live_ = true;
      // Once per subscription: a return to the feed after a reread is not news.
      batch.caught_up = !caught_up_sent_;
      caught_up_sent_ = true;
    }
    batch.checkpoint_position = checkpoint_;
    return batch;
  }

  absl::StatusOr<SubscriptionBatch> NextLive(absl::Duration timeout) {
    SubscriptionBatch batch;
    std::vector<EventBatchPtr> taken;
    bool overflowed = false;
    uint64_t overflow_position = 0;
    bool reread = false;
    const bool open =
        feed_->Take(&queue_, timeout, &taken, &overflowed, &overflow_position, &reread);
    for (const auto& published : taken) {
      for (const auto& event : *published) {
        if (event.position() <= checkpoint_) continue;
        checkpoint_ = event.position();
        if (MatchesFilter(event, filter_)) batch.events.push_back(event);
      }
    }
    batch.checkpoint_position = checkpoint_;
    if (overflowed && batch.events.empty()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("subscription fell behind: more than subscription_buffer_events (",
                       store_->limits().subscription_buffer_events,
                       ") events waited for this consumer at position ", overflow_position,
                       "; subscribe again with after_position=", checkpoint_));
    }
    if (!open && batch.events.empty()) return Closed();
    if (reread && open) {
      // A group larger than the buffer: read it (and what follows) from the log.
      feed_->Unregister(&queue_);
      queue_ = LiveQueue();
      live_ = false;
      if (batch.events.empty()) return NextFromLog();
    }
    return batch;
  }

  absl::Status Closed() const {
    return absl::UnavailableError(absl::StrCat(
        "the ledger is shutting down; subscribe again with after_position=", checkpoint_));
  }

  const EventStore* store_;
  LiveFeed* feed_;
  uint64_t checkpoint_;
  v1::EventFilter filter_;
  LiveQueue queue_;
  bool live_ = false;
  bool caught_up_sent_ = false;
};

Subscription::Subscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Subscription::~Subscription() = default;

absl::StatusOr<SubscriptionBatch> Subscription::Next(absl::Duration timeout) {
  return impl_->Next(timeout);
}

bool Subscription::live() const { return impl_->live(); }

// Defined here so EventStore::Subscribe can build the Impl without exposing it.
std::unique_ptr<Subscription> MakeSubscription(const EventStore* store, LiveFeed* feed,
                                               uint64_t after_position,
                                               const v1::EventFilter& filter) {
  return std::make_unique<Subscription>(
      std::make_unique<Subscription::Impl>(store, feed, after_position, filter));
}

}  // namespace sixhearts::ledger
