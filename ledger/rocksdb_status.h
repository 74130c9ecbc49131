// The one place a rocksdb::Status becomes an absl::Status (STYLE.md rule 2).
#ifndef SIXHEARTS_LEDGER_ROCKSDB_STATUS_H_
#define SIXHEARTS_LEDGER_ROCKSDB_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace sixhearts::ledger {

// `context` says what was being done, e.g. "open /var/ledger".
absl::Status FromRocksDB(const rocksdb::Status& status, std::string_view context);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_ROCKSDB_STATUS_H_
