// Options of the event store, each with its default.
#ifndef SIXHEARTS_LEDGER_OPTIONS_H_
#define SIXHEARTS_LEDGER_OPTIONS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ledger/clock.h"
#include "ledger/limits.h"
#include "ledger/observer.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace sixhearts::ledger {

struct EventStoreOptions {
  // Directory of the RocksDB database; created when missing. Required.
  std::string data_dir;
  // Directory of the keystore holding each subject's personal-data key (FORMAT.md
  // "Personal data"). Kept apart from data_dir so that a copy or backup of the data
  // directory never carries the keys: erasing a key then erases the data in every
  // backup too. Default (empty): data_dir + ".keys", a sibling directory.
  std::string keys_dir;
  // Sync the write-ahead log before an append is acknowledged. Only benchmarks of the
  // non-durable ceiling turn this off. Default: true.
  bool sync = true;
  // Source of recorded_at. Not owned; must outlive the store. Default: the system clock.
  Clock* clock = nullptr;
  // RocksDB block cache size in bytes. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // Receives append and group-commit figures (metrics). Not owned; must outlive the
  // store. Default: none.
  StoreObserver* observer = nullptr;
  // Collect RocksDB statistics (EventStore::StatisticsTickers), at a cost of a few per
  // cent of throughput. Default: false.
  bool statistics = false;
  Limits limits;
  // Called once when the store starts refusing appends (README "Storage faults"): on the
  // commit thread when a write fails, or on the thread that found the log damaged (at
  // open, or any reader; EventStore::damage). Must be quick and must not call back into
  // the store. The server marks the EventStore service NOT_SERVING in its health service.
  // Default: none.
  std::function<void(const absl::Status&)> on_storage_failure;
  // Progress lines of long work at open (building the Merkle tree of a directory written
  // before it existed), on the opening thread; ledgerd logs them. Default: none.
  std::function<void(std::string_view)> on_progress;
  // For tests only: the file system the data directory's RocksDB reads and writes through
  // (not the keystore's), e.g. one that injects I/O errors
  // (tests/testing/faulty_file_system.h). Shared with the caller, who may change its
  // behaviour while the store is open. Default: nullptr, the operating system's files.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_OPTIONS_H_
