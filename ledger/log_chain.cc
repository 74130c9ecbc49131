// Recomputing the hash chain over the log family (FORMAT.md "The hash chain").
#include "ledger/log_chain.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/format.h"
#include "ledger/rocksdb_status.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

absl::StatusOr<VerifyResult> VerifyLogChain(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log,
                                            uint64_t from, uint64_t to) {
  VerifyResult result;
  from = std::max<uint64_t>(from, 1);
  if (from > to) {
    result.head_hash = format::HashBytes(format::ZeroHash());
    return result;
  }
  format::Hash previous = format::ZeroHash();
  if (from > 1) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), log, format::PositionKey(from - 1), &value);
    if (!s.ok()) return FromRocksDB(s, absl::StrCat("read position ", from - 1));
    auto record = format::DecodeRecord(value);
    if (!record) {
      result.ok = false;
      result.first_bad_position = from - 1;
      result.problem = "record header does not decode";
      return result;
    }
    previous = record->hash;
  }
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, log));
  uint64_t expected = from;
  for (it->Seek(format::PositionKey(from)); expected <= to; it->Next(), ++expected) {
    auto fail = [&](uint64_t position, std::string problem) {
      result.ok = false;
      result.first_bad_position = position;
      result.problem = std::move(problem);
      return result;
    };
    if (!it->Valid()) {
      // Damaged bytes are a finding at this position; a failed read (an I/O error) says
      // nothing about the chain, so it is an error, not "the chain is broken".
      if (it->status().IsCorruption()) return fail(expected, it->status().ToString());
      if (!it->status().ok()) {
        return FromRocksDB(it->status(), absl::StrCat("verify: read log at position ", expected));
      }
      return fail(expected, "missing: the log ends early");
    }
    const uint64_t position = format::DecodeUint64(it->key().ToStringView());
    if (position != expected) {
      return fail(expected, absl::StrCat("gap: the next record is at position ", position));
    }
    auto record = format::DecodeRecord(it->value().ToStringView());
    if (!record) return fail(position, "record header does not decode");
    const format::Hash computed = format::ChainHashOfEvent(previous, position, record->event_bytes);
    if (computed != record->hash) {
      return fail(position, absl::StrCat("hash mismatch: stored ", format::HashToHex(record->hash),
                                         ", recomputed ", format::HashToHex(computed)));
    }
    v1::Event event;
    if (!event.ParseFromArray(record->event_bytes.data(),
                              static_cast<int>(record->event_bytes.size())) ||
        event.position() != position) {
      return fail(position, "event bytes do not parse or name another position");
    }
    previous = computed;
    ++result.checked;
  }
  result.head_hash = format::HashBytes(previous);
  return result;
}

}  // namespace sixhearts::ledger
