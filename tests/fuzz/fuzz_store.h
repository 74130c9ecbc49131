// The real EventStore the fuzz targets append to: one per process, in a temporary
// directory (under $TMPDIR, which scripts/fuzz.sh points at its scratch directory so a
// crash leaves nothing behind in /tmp). It keeps what earlier inputs appended, so later
// ones can refer to invoices and payments they created; past kMaxFuzzStoreEvents a target
// reopens a fresh one, so a long run by hand cannot fill the disk.
#ifndef SIXHEARTS_TESTS_FUZZ_FUZZ_STORE_H_
#define SIXHEARTS_TESTS_FUZZ_FUZZ_STORE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/testing/test_events.h"

namespace sixhearts::fuzz {

inline constexpr uint64_t kMaxFuzzStoreEvents = 100'000;

struct FuzzStore {
  ledger::ManualClock clock{absl::FromUnixSeconds(1'767'225'600)};  // 2026-01-01
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<ledger::EventStore> store;

  // Replaces the store with a fresh, empty one.
  void Reopen() {
    store.reset();  // closes RocksDB before its directory goes
    dir = std::make_unique<testing::TempDir>();
    ledger::EventStoreOptions options;
    options.data_dir = dir->path();
    // Durability is not under test and an fsync per input would cut the rate tenfold.
    options.sync = false;
    options.clock = &clock;
    options.block_cache_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<ledger::EventStore>> opened = ledger::EventStore::Open(options);
    Check(opened.ok(), "the fuzz store opens", opened.status().ToString());
    store = *std::move(opened);
  }
};

}  // namespace sixhearts::fuzz

#endif  // SIXHEARTS_TESTS_FUZZ_FUZZ_STORE_H_
