// The audit export (issue 5 item 4): one client's events over a period, with what an
// auditor needs to check them against a digest without trusting the server and without
// seeing any other client's events. The layout and the checks are specified in
// ledger/FORMAT.md "Audit export"; tools/verify_audit.py is the independent checker.
//
// What is exported, for the positions [first, head]:
// - the anchor: hash(first - 1), the chain hash just before the range;
// - for every position: its leaf digest and chain hash;
// - for every event of the client's stream in the range: its stored bytes (which hash to
//   the leaf) and the decoded event, flagged when it occurred in the period.
// `first` is the position of the client's first event that occurred in the period, or
// earlier: right after the auditor's last verified head, so that the chain links to it.
#ifndef SIXHEARTS_LEDGER_AUDIT_EXPORT_H_
#define SIXHEARTS_LEDGER_AUDIT_EXPORT_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "ledger/checkpoint.h"
#include "ledger/event_store.h"
#include "sixhearts/ledger/v1/event_store.pb.h"

namespace sixhearts::ledger {

struct AuditExportRequest {
  // The client; its stream is `client-<client_id>`.
  std::string client_id;
  // The period, both days included, on occurred_at read in UTC.
  absl::CivilDay from;
  absl::CivilDay to;
  // The auditor's last verified head position (from an earlier Digest); 0 for none. The
  // exported chain then starts at most one position after it.
  uint64_t verified_position = 0;
  // The export on Merkle proofs (FORMAT.md "Audit export on proofs"); verified_position is
  // then the tree size of the auditor's last verified checkpoint.
  bool proofs = false;
  // Signs the export's checkpoint; nullptr: the checkpoint is left empty. Not owned.
  const CheckpointSigner* signer = nullptr;
};

// INVALID_ARGUMENT naming the field: a client id that makes no valid stream name, `to`
// before `from`, a verified position beyond the head.
absl::Status ValidateAuditExportRequest(const AuditExportRequest& request, uint64_t head_position,
                                        const Limits& limits);

// Produces the export: `on_header` once, then `on_record` for every position from
// header.first_position to header.head_position, in order. The head is the store's
// head when the call starts; later appends are not included. The chain is recomputed
// while exporting: a stored hash that does not match is DATA_LOSS naming the position,
// never an export. An error from a callback stops the export and is returned.
absl::Status ExportAudit(const EventStore& store, const AuditExportRequest& request,
                         absl::FunctionRef<absl::Status(const v1::AuditHeader&)> on_header,
                         absl::FunctionRef<absl::Status(v1::AuditRecord&)> on_record);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_AUDIT_EXPORT_H_
