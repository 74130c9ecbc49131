// Test helpers for the append path's timing: a file system that holds a write-ahead
// log's sync until released (so a test knows a group is being written while it queues the
// next requests), and the awaited outcome of an AppendAsync.
#ifndef SIXHEARTS_TESTS_LEDGER_SYNC_GATE_H_
#define SIXHEARTS_TESTS_LEDGER_SYNC_GATE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/event_store.h"
#include "rocksdb/file_system.h"

namespace sixhearts::testing {

// A file system over another that can hold the next sync of a write-ahead log until
// released, so a test knows a group is being written while it queues the next requests.
class SyncGate final : public rocksdb::FileSystemWrapper {
 public:
  explicit SyncGate(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "SyncGate"; }

  // The next sync of a ".log" file waits in Sync until Release().
  void HoldNextSync() {
    absl::MutexLock lock(&mu_);
    armed_ = true;
    released_ = false;
  }
  // Returns once a sync is waiting.
  void AwaitHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
    if (s.ok() && fname.ends_with(".log"))
      *result = std::make_unique<Writable>(std::move(*result), this);
    return s;
  }

 private:
  void MaybeHold() {
    absl::MutexLock lock(&mu_);
    if (!armed_) return;
    armed_ = false;
    held_ = true;
    mu_.Await(absl::Condition(&released_));
    held_ = false;
  }

  class Writable final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    Writable(std::unique_ptr<rocksdb::FSWritableFile>&& t, SyncGate* gate)
        : FSWritableFileOwnerWrapper(std::move(t)), gate_(gate) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      gate_->MaybeHold();
      return target()->Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      gate_->MaybeHold();
      return target()->Fsync(options, dbg);
    }

   private:
    SyncGate* gate_;
  };

  absl::Mutex mu_;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

// The outcome of an AppendAsync, awaited by the test.
class Outcome {
 public:
  ledger::AppendCallback callback() {
    return [this](absl::StatusOr<ledger::v1::AppendResponse> r) {
      absl::MutexLock lock(&mu_);
      result_ = std::move(r);
    };
  }
  absl::StatusOr<ledger::v1::AppendResponse> Await() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return result_.has_value(); };
    mu_.Await(absl::Condition(&done));
    return *result_;
  }

 private:
  absl::Mutex mu_;
  std::optional<absl::StatusOr<ledger::v1::AppendResponse>> result_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_LEDGER_SYNC_GATE_H_
