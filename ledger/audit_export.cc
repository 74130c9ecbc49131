// The audit export: finds where the range starts, then walks the log once, recomputing
// the chain as it goes (ledger/FORMAT.md "Audit export").
#include "ledger/audit_export.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"
#include "ledger/format.h"
#include "ledger/merkle_tree.h"
#include "ledger/proofs.h"
#include "ledger/quoted.h"
#include "ledger/validate.h"

namespace sixhearts::ledger {

namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

format::Hash ToHash(std::string_view bytes) {
  format::Hash hash{};
  std::memcpy(hash.data(), bytes.data(), std::min(bytes.size(), hash.size()));
  return hash;
}

// The position of the stream's first event that occurred in [from, to), 0 when none.
absl::StatusOr<uint64_t> FirstInPeriod(const EventStore& store, const std::string& stream,
                                       absl::Time from, absl::Time to) {
  v1::EventFilter filter;
  *filter.mutable_occurred_from() = ToTimestamp(from);
  *filter.mutable_occurred_to() = ToTimestamp(to);
  uint64_t next_version = 1;
  while (true) {
    auto page = store.ReadStream(stream, next_version, 1, filter);
    if (!page.ok()) return page.status();
    if (!page->events.empty()) return page->events.front().position();
    if (page->end || page->scanned_to_version == 0) return 0;
    next_version = page->scanned_to_version + 1;
  }
}

}  // namespace

absl::Status ValidateAuditExportRequest(const AuditExportRequest& request, uint64_t head_position,
                                        const Limits& limits) {
  if (request.client_id.empty()) return absl::InvalidArgumentError("client_id: required");
  if (!IsValidStreamName(absl::StrCat("client-", request.client_id), limits)) {
    return absl::InvalidArgumentError(absl::StrCat("client_id: ", QuotedInput(request.client_id),
                                                   " does not make a valid stream name"));
  }
  if (request.to < request.from) {
    return absl::InvalidArgumentError(
        absl::StrCat("to: ", FormatDay(request.to), " is before from ", FormatDay(request.from)));
  }
  if (request.verified_position > head_position) {
    return absl::InvalidArgumentError(absl::StrCat("verified_position: ", request.verified_position,
                                                   " is beyond the head of the log, position ",
                                                   head_position));
  }
  return absl::OkStatus();
}

namespace {

// The export on proofs: the client's events from its first in the period to the head,
// each with its inclusion proof in the tree of the head, read one record at a time.
absl::Status ExportAuditWithProofs(
    const EventStore& store, const AuditExportRequest& request, uint64_t head_position,
    absl::FunctionRef<absl::Status(const v1::AuditHeader&)> on_header,
    absl::FunctionRef<absl::Status(v1::AuditRecord&)> on_record) {
  const std::string stream = absl::StrCat("client-", request.client_id);
  const absl::Time from = absl::FromCivil(request.from, absl::UTCTimeZone());
  const absl::Time to = EndOfUtcDay(request.to);
  auto first_in_period = FirstInPeriod(store, stream, from, to);
  if (!first_in_period.ok()) return first_in_period.status();

  v1::AuditHeader header;
  header.set_client_id(request.client_id);
  header.set_stream(stream);
  *header.mutable_from() = FromCivilDay(request.from);
  *header.mutable_to() = FromCivilDay(request.to);
  header.set_chain_format(format::kFormatVersion);
  header.set_first_position(*first_in_period == 0 ? head_position + 1 : *first_in_period);
  header.set_verified_position(request.verified_position);
  header.set_head_position(head_position);
  header.set_proofs(true);
  std::optional<std::string> head_hash;
  if (head_position > 0) {
    if (absl::Status s =
            store.ForEachRecord(head_position, head_position,
                                [&](uint64_t, std::string_view hash, std::string_view) {
                                  head_hash = std::string(hash);
                                  return absl::OkStatus();
                                });
        !s.ok()) {
      return s;
    }
  } else {
    head_hash = format::HashBytes(format::ZeroHash());
  }
  header.set_head_hash(*head_hash);
  // An empty log has the empty tree (tree size 0 would read as "the head" below).
  absl::StatusOr<ConsistencyProof> consistency =
      head_position == 0 ? ConsistencyProof{0,
                                            0,
                                            format::HashBytes(merkle::EmptyRoot()),
                                            format::HashBytes(merkle::EmptyRoot()),
                                            {}}
                         : ProveConsistency(store, request.verified_position, head_position);
  if (!consistency.ok()) return consistency.status();
  header.set_tree_root(consistency->second_root);
  header.set_verified_root(consistency->first_root);
  for (std::string& hash : consistency->path) header.add_consistency_path(std::move(hash));
  if (request.signer != nullptr) {
    header.set_checkpoint(request.signer->Sign(head_position, consistency->second_root));
  }
  if (absl::Status s = on_header(header); !s.ok()) return s;
  if (*first_in_period == 0) return absl::OkStatus();

  // The stream's positions from the first in the period on, then each record.
  v1::AuditRecord record;
  uint64_t next_version = 1;
  while (true) {
    auto page = store.ReadStream(stream, next_version, 0, v1::EventFilter());
    if (!page.ok()) return page.status();
    for (const v1::Event& listed : page->events) {
      if (listed.position() < *first_in_period || listed.position() > head_position) continue;
      const uint64_t position = listed.position();
      absl::Status status = store.ForEachRecord(
          position, position,
          [&](uint64_t, std::string_view hash, std::string_view bytes) -> absl::Status {
            record.Clear();
            record.set_position(position);
            record.set_leaf(format::HashBytes(format::LeafHash(bytes)));
            record.set_hash(std::string(hash));
            record.set_event_bytes(std::string(bytes));
            v1::Event* event = record.mutable_event();
            if (!event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
              return absl::DataLossError(
                  absl::StrCat("the record at position ", position, " does not parse"));
            }
            if (absl::Status s = store.OpenPersonalData(*event); !s.ok()) return s;
            event->set_hash(std::string(hash));
            const absl::Time occurred = ToAbslTime(event->occurred_at());
            record.set_in_period(occurred >= from && occurred < to);
            return absl::OkStatus();
          });
      if (!status.ok()) return status;
      auto proof = ProveInclusion(store, position, head_position);
      if (!proof.ok()) return proof.status();
      if (proof->leaf != record.leaf()) {
        return absl::DataLossError(
            absl::StrCat("the Merkle tree's leaf at position ", position, " is not the record's"));
      }
      for (std::string& hash : proof->path) record.add_inclusion_path(std::move(hash));
      if (absl::Status s = on_record(record); !s.ok()) return s;
    }
    if (page->end || page->scanned_to_version == 0) return absl::OkStatus();
    next_version = page->scanned_to_version + 1;
  }
}

}  // namespace

absl::Status ExportAudit(const EventStore& store, const AuditExportRequest& request,
                         absl::FunctionRef<absl::Status(const v1::AuditHeader&)> on_header,
                         absl::FunctionRef<absl::Status(v1::AuditRecord&)> on_record) {
  const uint64_t head_position = store.head().position;
  if (request.proofs) {
    if (absl::Status s = ValidateAuditExportRequest(request, head_position, store.limits());
        !s.ok()) {
      return s;
    }
    return ExportAuditWithProofs(store, request, head_position, on_header, on_record);
  }
  if (absl::Status s = ValidateAuditExportRequest(request, head_position, store.limits());
      !s.ok()) {
    return s;
  }
  const std::string stream = absl::StrCat("client-", request.client_id);
  const absl::Time from = absl::FromCivil(request.from, absl::UTCTimeZone());
  const absl::Time to = EndOfUtcDay(request.to);
  auto first_in_period = FirstInPeriod(store, stream, from, to);
  if (!first_in_period.ok()) return first_in_period.status();

  // Start at the client's first event of the period, or earlier so that the chain links
  // to the auditor's last verified head; with neither, the range is empty.
  uint64_t first = head_position + 1;
  if (*first_in_period != 0) first = *first_in_period;
  if (request.verified_position != 0) first = std::min(first, request.verified_position + 1);

  v1::AuditHeader header;
  header.set_client_id(request.client_id);
  header.set_stream(stream);
  *header.mutable_from() = FromCivilDay(request.from);
  *header.mutable_to() = FromCivilDay(request.to);
  header.set_chain_format(format::kFormatVersion);
  header.set_first_position(first);
  header.set_verified_position(request.verified_position);
  header.set_head_position(head_position);
  std::string anchor = format::HashBytes(format::ZeroHash());
  std::string head_hash = anchor;
  // The anchor and the head as stored; the walk below recomputes the one from the other.
  for (uint64_t position : {first - 1, head_position}) {
    if (position == 0) continue;
    std::string* target = position == first - 1 ? &anchor : &head_hash;
    if (absl::Status s =
            store.ForEachRecord(position, position,
                                [&](uint64_t, std::string_view hash, std::string_view) {
                                  *target = std::string(hash);
                                  return absl::OkStatus();
                                });
        !s.ok()) {
      return s;
    }
  }
  if (first - 1 == head_position) head_hash = anchor;
  header.set_anchor_hash(anchor);
  header.set_head_hash(head_hash);
  if (absl::Status s = on_header(header); !s.ok()) return s;
  if (first > head_position) return absl::OkStatus();

  format::Hash chain = ToHash(anchor);
  v1::AuditRecord record;
  return store.ForEachRecord(
      first, head_position,
      [&](uint64_t position, std::string_view hash, std::string_view bytes) -> absl::Status {
        const format::Hash leaf = format::LeafHash(bytes);
        chain = format::ChainHash(chain, position, leaf);
        if (format::HashBytes(chain) != hash) {
          return absl::DataLossError(absl::StrCat(
              "the chain does not verify at position ", position, ": stored ",
              format::HashToHex(ToHash(hash)), ", recomputed ", format::HashToHex(chain)));
        }
        record.Clear();
        record.set_position(position);
        record.set_leaf(format::HashBytes(leaf));
        record.set_hash(std::string(hash));
        v1::Event* event = record.mutable_event();
        if (!event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          return absl::DataLossError(
              absl::StrCat("the record at position ", position, " does not parse"));
        }
        if (event->stream() != stream) {
          record.clear_event();
        } else {
          record.set_event_bytes(std::string(bytes));
          // Shown opened (or "[erased]"); the bytes keep the sealed form the leaf commits to.
          if (absl::Status s = store.OpenPersonalData(*event); !s.ok()) return s;
          event->set_hash(std::string(hash));
          const absl::Time occurred = ToAbslTime(event->occurred_at());
          record.set_in_period(occurred >= from && occurred < to);
        }
        return on_record(record);
      });
}

}  // namespace sixhearts::ledger
