// Every limit of the CSV import in one place (STYLE.md rule 4): record size, field count,
// rows per file, batch size, identifier lengths and how many rejections are kept.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_LIMITS_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace sixhearts::csv_import {

// Longest CSV record, in bytes, counting delimiters, quotes and any line breaks inside
// quoted fields. A longer record is rejected and the reader resumes after its end as the
// quotes place it (csv_reader.h), never buffering more than this of it.
inline constexpr size_t kMaxRecordBytes = 64 * 1024;

// Most fields in one record (header included). ERP exports rarely pass a hundred.
inline constexpr size_t kMaxFieldsPerRecord = 256;

// Most data rows in one file. The importer remembers every invoice id it accepted (to
// reject duplicates), so this bounds its memory.
inline constexpr int64_t kMaxDataRows = 1'000'000;

// Largest input in another encoding than UTF-8 (mapping key `encoding`): it is converted
// in memory before it is read, so this bounds that copy.
inline constexpr size_t kMaxConvertedInputBytes = 256 * 1024 * 1024;

// Bytes requested from the input stream at a time.
inline constexpr size_t kReadChunkBytes = 64 * 1024;

// Events one row can produce: ClientRegistered, InvoiceIssued, PaymentReceived (or, for a
// reconciled row, InvoiceAmended or CreditNoteIssued, PaymentReversed, PaymentReceived). A
// batch must hold at least this many so that any row fits in one batch.
inline constexpr size_t kMaxEventsPerRow = 3;

// Batch sizes accepted by ImportOptions. The upper bound stays below the ledger's default
// largest Append (ledger/limits.h max_batch_events = 10,000).
inline constexpr size_t kMinBatchEvents = kMaxEventsPerRow;
inline constexpr size_t kMaxBatchEvents = 5'000;
inline constexpr size_t kDefaultBatchEvents = 500;

// Longest identifier the ledger accepts (ledger/limits.h max_id_bytes). Streams are
// "client-<client_id>" and payment ids "pay-<invoice_id>", so the client and invoice ids
// must leave room for those prefixes.
inline constexpr size_t kMaxLedgerIdBytes = 128;

// Longest client name, in bytes (ledger/limits.h max_text_bytes).
inline constexpr size_t kMaxClientNameBytes = 4'096;

// Rejections kept with their reasons; beyond this only the count grows, so a file of
// garbage cannot exhaust memory through its error report.
inline constexpr size_t kMaxKeptRejections = 1'000;

// Largest mapping file, in bytes, and most `key = value` settings in one mapping.
inline constexpr size_t kMaxMappingFileBytes = 64 * 1024;
inline constexpr size_t kMaxMappingSettings = 64;

// Longest field value quoted back in a rejection message; the rest is elided.
inline constexpr size_t kMaxQuotedValueBytes = 64;

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_LIMITS_H_
