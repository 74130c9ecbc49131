// Changes a closed store's log straight through RocksDB, as an attacker or a broken disk
// controller with file access would: for tests that the ledger detects and names damage.
#ifndef SIXHEARTS_TESTS_TESTING_RAW_LOG_H_
#define SIXHEARTS_TESTS_TESTING_RAW_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/format.h"
#include "rocksdb/db.h"

namespace sixhearts::testing {

// Opens `data_dir` (no store may hold it) with every column family and calls `fn` with
// the database and the handle of its `log` family.
inline void WithRawLog(const std::string& data_dir,
                       const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& fn) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), data_dir, families, &handles, &raw).ok());
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (auto* handle : handles) {
    if (handle->GetName() == ledger::format::kLogFamily) log = handle;
  }
  EXPECT_NE(log, nullptr);
  if (log != nullptr) fn(raw, log);
  for (auto* handle : handles) raw->DestroyColumnFamilyHandle(handle);
  delete raw;
}

// Calls `change` on the stored record (header and event bytes) at `position` and writes
// it back.
inline void RewriteLogRecord(const std::string& data_dir, uint64_t position,
                             const std::function<void(std::string&)>& change) {
  WithRawLog(data_dir, [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log) {
    std::string value;
    ASSERT_TRUE(db->Get({}, log, ledger::format::PositionKey(position), &value).ok());
    change(value);
    ASSERT_TRUE(db->Put({}, log, ledger::format::PositionKey(position), value).ok());
  });
}

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_RAW_LOG_H_
