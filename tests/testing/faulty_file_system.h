// A RocksDB file system over the real one that can be told to fail writes, syncs or reads
// after N more operations, for the storage-fault tests. The files are real; only the
// chosen operations fail, with IOError "injected ... fault", until Heal().
#ifndef SIXHEARTS_TESTS_TESTING_FAULTY_FILE_SYSTEM_H_
#define SIXHEARTS_TESTS_TESTING_FAULTY_FILE_SYSTEM_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace sixhearts::testing {

class FaultyFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  enum class Op { kWrite, kSync, kRead };

  FaultyFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "FaultyFileSystem"; }

  // From the (n+1)-th next operation of kind `op` on a file whose name contains
  // `file_part` (e.g. ".log" for the write-ahead log, ".sst" for table files), every
  // such operation fails until Heal(). Replaces an earlier fault of that kind.
  // `no_space`: the error is IOError(kNoSpace), as from a full disk.
  void FailAfter(Op op, int n, std::string file_part, bool no_space = false) {
    absl::MutexLock lock(&mu_);
    Fault& f = faults_[static_cast<int>(op)];
    f.armed = true;
    f.remaining = n;
    f.file_part = std::move(file_part);
    f.no_space = no_space;
  }

  void Heal() {
    absl::MutexLock lock(&mu_);
    for (Fault& f : faults_) f = Fault();
  }

  // Operations failed so far.
  int injected() const { return injected_.load(); }

  // An error when the operation must fail.
  rocksdb::IOStatus Check(Op op, const std::string& file) {
    absl::MutexLock lock(&mu_);
    Fault& f = faults_[static_cast<int>(op)];
    if (!f.armed || file.find(f.file_part) == std::string::npos) return rocksdb::IOStatus::OK();
    if (f.remaining > 0) {
      --f.remaining;
      return rocksdb::IOStatus::OK();
    }
    ++injected_;
    static constexpr const char* kNames[] = {"write", "sync", "read"};
    const std::string what = std::string("injected ") + kNames[static_cast<int>(op)] + " fault";
    if (f.no_space) return rocksdb::IOStatus::NoSpace(what, file);
    return rocksdb::IOStatus::IOError(what, file);
  }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Writable>(std::move(*result), this, fname);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Writable>(std::move(*result), this, fname);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Writable>(std::move(*result), this, fname);
    return s;
  }
  rocksdb::IOStatus NewRandomAccessFile(const std::string& fname,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewRandomAccessFile(fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<RandomAccess>(std::move(*result), this, fname);
    return s;
  }
  rocksdb::IOStatus NewSequentialFile(const std::string& fname, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewSequentialFile(fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Sequential>(std::move(*result), this, fname);
    return s;
  }

 private:
  struct Fault {
    bool armed = false;
    int remaining = 0;
    std::string file_part;
    bool no_space = false;
  };

  class Writable final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    Writable(std::unique_ptr<rocksdb::FSWritableFile>&& t, FaultyFileSystem* fs, std::string name)
        : FSWritableFileOwnerWrapper(std::move(t)), fs_(fs), name_(std::move(name)) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kWrite, name_); !s.ok()) return s;
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kWrite, name_); !s.ok()) return s;
      return target()->Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kWrite, name_); !s.ok()) return s;
      return target()->PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kSync, name_); !s.ok()) return s;
      return target()->Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kSync, name_); !s.ok()) return s;
      return target()->Fsync(options, dbg);
    }
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kSync, name_); !s.ok()) return s;
      return target()->RangeSync(offset, nbytes, options, dbg);
    }

   private:
    FaultyFileSystem* fs_;
    std::string name_;
  };

  class RandomAccess final : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    RandomAccess(std::unique_ptr<rocksdb::FSRandomAccessFile>&& t, FaultyFileSystem* fs,
                 std::string name)
        : FSRandomAccessFileOwnerWrapper(std::move(t)), fs_(fs), name_(std::move(name)) {}
    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* dbg) const override {
      if (auto s = fs_->Check(Op::kRead, name_); !s.ok()) return s;
      return target()->Read(offset, n, options, result, scratch, dbg);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                                const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kRead, name_); !s.ok()) {
        for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
        return s;
      }
      return target()->MultiRead(reqs, num_reqs, options, dbg);
    }

   private:
    FaultyFileSystem* fs_;
    std::string name_;
  };

  class Sequential final : public rocksdb::FSSequentialFileOwnerWrapper {
   public:
    Sequential(std::unique_ptr<rocksdb::FSSequentialFile>&& t, FaultyFileSystem* fs,
               std::string name)
        : FSSequentialFileOwnerWrapper(std::move(t)), fs_(fs), name_(std::move(name)) {}
    rocksdb::IOStatus Read(size_t n, const rocksdb::IOOptions& options, rocksdb::Slice* result,
                           char* scratch, rocksdb::IODebugContext* dbg) override {
      if (auto s = fs_->Check(Op::kRead, name_); !s.ok()) return s;
      return target()->Read(n, options, result, scratch, dbg);
    }

   private:
    FaultyFileSystem* fs_;
    std::string name_;
  };

  absl::Mutex mu_;
  Fault faults_[3];
  std::atomic<int> injected_{0};
};

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_FAULTY_FILE_SYSTEM_H_
