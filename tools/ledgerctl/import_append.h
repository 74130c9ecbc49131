// How `ledgerctl import` appends a batch of imported events when the ledger refuses it
// with ALREADY_EXISTS (some of its events were stored by someone else after the import
// read the stored ids): row by row, then event by event, so that what is stored is
// counted as such and only a genuine conflict fails.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_IMPORT_APPEND_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_IMPORT_APPEND_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "sixhearts/ledger/v1/events.pb.h"
#include "tools/ledgerctl/ledger_client.h"

namespace sixhearts::ledgerctl {

// The events of each CSV row in a batch, as [begin, end) index pairs. A row becomes
// [ClientRegistered] InvoiceIssued [PaymentReceived] (csv_importer.h), minus the events
// already stored, so a ClientRegistered always starts a row, an InvoiceIssued joins the
// ClientRegistered of its stream just before it, and a PaymentReceived joins the
// InvoiceIssued it pays just before it. A reconciled row (InvoiceAmended or
// CreditNoteIssued, PaymentReversed, PaymentReceived) is one group per event.
std::vector<std::pair<size_t, size_t>> RowGroups(absl::Span<const v1::Event> events);

struct AppendCounts {
  int64_t appended = 0;
  int64_t already_stored = 0;
};

// Appends `events` in one request; on ALREADY_EXISTS appends each row (RowGroups) on its
// own, and a row still refused event by event. A request answered as a duplicate counts
// its events as already stored. Returns the first other error, or ALREADY_EXISTS for a
// single event (its id or a business id is taken by different content); what was
// appended before stays appended and counted.
absl::Status AppendSplitting(LedgerClient* client, absl::Span<const v1::Event> events,
                             AppendCounts* counts);

// One row of an import batch the ledger refused, and why (the status of the row sent
// alone, so its events[i] index counts within the row).
struct RefusedRow {
  size_t row = 0;  // index into the batch's rows
  absl::Status status;
};

// True for an error that says something about the events sent (INVALID_ARGUMENT,
// ALREADY_EXISTS, NOT_FOUND, OUT_OF_RANGE): another request without them may succeed.
// Other errors (unreachable, overloaded, shutting down, a read replica, denied) are
// about the ledger and stop the import.
bool IsRowError(const absl::Status& status);

// Appends the rows of an import batch (`rows[i]` = [begin, end) of row i in `events`)
// so that a row the ledger refuses does not keep the others out: the whole batch first;
// when the ledger refuses it naming events[k], the row holding k is sent alone (stored
// if the ledger takes it, else added to *refused) and the rest goes again; a refusal that
// names no event splits the rows in halves. *stored[i] is set for each row the ledger now
// holds (appended, or answered as already stored). Returns the first error that is not a
// row error (IsRowError); what was stored before stays stored and counted.
absl::Status AppendRows(LedgerClient* client, absl::Span<const v1::Event> events,
                        absl::Span<const std::pair<size_t, size_t>> rows, AppendCounts* counts,
                        std::vector<bool>* stored, std::vector<RefusedRow>* refused);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_IMPORT_APPEND_H_
