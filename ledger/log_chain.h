// Internal to ledger/: recomputing the hash chain over the `log` family of an open
// RocksDB (FORMAT.md "The hash chain"), and reaching an open store's database. Shared by
// EventStore::Verify and by backup verification, which reads a backup opened read-only.
// Nothing outside ledger/ includes this header (STYLE.md rule 2).
#ifndef SIXHEARTS_LEDGER_LOG_CHAIN_H_
#define SIXHEARTS_LEDGER_LOG_CHAIN_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "ledger/event_store.h"
#include "rocksdb/db.h"

namespace sixhearts::ledger {

// Recomputes the chain over [from, to] of `log` (from 0 means 1; `to` is inclusive and
// must be the caller's head or below; from > to checks nothing). Reads with checksums
// verified. A broken record or a damaged table block is a finding in the result (ok =
// false, the first bad position and the problem), not an error; errors are reads that
// failed (an I/O error says nothing about the chain), named by the position.
absl::StatusOr<VerifyResult> VerifyLogChain(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log,
                                            uint64_t from, uint64_t to);

// The RocksDB database of an open store. REQUIRES: `store` is open; the pointer lives as
// long as the store.
rocksdb::DB* StoreDatabase(const EventStore& store);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_LOG_CHAIN_H_
